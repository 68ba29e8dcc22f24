"""Threads: a thread's page (a side panel beside the room with htmx), replying in it,
following it, and the "Threads" page of the threads one follows."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, make_response, redirect, render_template, request, url_for

from app.access import find_visible_room, require_membership
from app.actions.messages import KeyChanged, new_client_msg_id
from app.actions.threads import (
    find_thread_root,
    follow_thread,
    mark_thread_read,
    post_thread_reply,
    unfollow_thread,
)
from app.auth import login_required, require_account
from app.blueprints import is_htmx
from app.errors import DomainError
from app.live_views.fragments import message_html
from app.mail.config import presence_grace
from app.queries.messages import MESSAGE_RELATIONS, message_for_display
from app.queries.records import Message, Room
from app.queries.threads import followed_threads, is_following, thread_replies
from app.rendering import dom_id, thread_path
from config.settings import current_settings

blueprint = Blueprint("threads", __name__)
THREAD = "/rooms/<int:room_id>/threads/<int:seq>"
PANEL_ID = "thread-panel"  # the room page's side panel (templates/rooms/show.html)


@blueprint.get(THREAD)
@login_required
async def show(room_id: int, seq: int) -> Any:
    """The thread: its own page, or (htmx into the room's side panel) the panel alone.
    Opening it reads it: its replies stop counting under "Threads"."""
    user = await require_account()
    room, membership = await find_visible_room(user, room_id)
    root = await find_thread_root(room, seq)
    if membership is not None:
        await mark_thread_read(root, user)
    return await _render_thread(room, membership, root, user.id)


@blueprint.post(f"{THREAD}/messages")
@login_required
async def reply(room_id: int, seq: int) -> Any:
    """A reply in the thread: 303 back to the thread without JavaScript, its fragment with htmx."""
    user = await require_account()
    room, membership = await require_membership(user, room_id)
    root = await find_thread_root(room, seq)
    form = await request.form
    settings = current_settings()
    try:
        message = await post_thread_reply(
            room, root, user, body=form.get("body", ""), envelope=form.get("envelope"),
            client_msg_id=form.get("client_msg_id"), also_in_room=bool(form.get("also_in_room")),
            max_chars=settings.message_max_chars, grace=presence_grace(settings))
    except DomainError as exc:
        if is_htmx():
            html = await render_template("messages/_composer_error.html", errors=exc.errors)
            headers = {"HX-Retarget": f"#{dom_id(root, 'thread-error')}",
                       "HX-Reswap": "innerHTML", "Vary": "HX-Request"}
            if isinstance(exc, KeyChanged):
                headers["HX-Trigger"] = "parley:keys-changed"
            return html, 429 if exc.status == 429 else 422, headers
        return await _render_thread(room, membership, root, user.id, form=form,
                                    errors=exc.errors, status=exc.status)
    if not is_htmx():
        return redirect(thread_path(root) + "#" + dom_id(message), 303)
    message.thread_root = root
    response = await make_response(message_html(message))
    response.headers["Vary"] = "HX-Request"
    return response


@blueprint.post(f"{THREAD}/following")
@login_required
async def follow(room_id: int, seq: int) -> Any:
    """Follow the thread: its replies notify like mentions and count under "Threads"."""
    user = await require_account()
    room, _ = await require_membership(user, room_id)
    root = await find_thread_root(room, seq)
    await follow_thread(root, user)
    return await _follow_answer(root, following=True)


@blueprint.post(f"{THREAD}/following/deletion")
@login_required
async def unfollow(room_id: int, seq: int) -> Any:
    user = await require_account()
    room, _ = await require_membership(user, room_id)
    root = await find_thread_root(room, seq)
    await unfollow_thread(root, user)
    return await _follow_answer(root, following=False)


@blueprint.get("/threads")
@login_required
async def index() -> Any:
    """The threads I follow, those with unread replies first."""
    user = await require_account()
    threads = await followed_threads(user, MESSAGE_RELATIONS)
    return await render_template("threads/index.html", threads=threads)


async def _follow_answer(root: Message, following: bool) -> Any:
    if not is_htmx():  # back where the button was: the thread, or the "Threads" page
        back = (await request.form).get("next")
        return redirect(url_for("threads.index") if back == "threads" else thread_path(root),
                        303)
    html = await render_template("threads/_follow_form.html", root=root, following=following)
    return html, 200, {"Vary": "HX-Request"}


async def _render_thread(room: Room, membership: Any, root: Message, user_id: int, *,
                         form: Any = None, errors: dict[str, str] | None = None,
                         status: int = 200) -> Any:
    root = await message_for_display(root.id)
    replies = await thread_replies(root, MESSAGE_RELATIONS)
    context = {
        "room": room, "membership": membership, "root": root, "replies": replies,
        "following": await is_following(user_id, root), "errors": errors or {},
        "form": {"client_msg_id": new_client_msg_id(), **(form or {})},
    }
    in_panel = is_htmx() and request.headers.get("HX-Target") == PANEL_ID
    template = "threads/_panel.html" if in_panel else "threads/show.html"
    return await render_template(template, **context), status, {"Vary": "HX-Request, HX-Target"}
