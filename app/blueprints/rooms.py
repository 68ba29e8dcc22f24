"""Room directory, room creation, the room page, renaming it and joining it."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, flash, redirect, render_template, request, url_for

from app.access import can_join, find_visible_room, require_membership, require_renamer
from app.actions.involvement import reveal_room, update_involvement
from app.actions.messages import clean_reply_to, new_client_msg_id
from app.actions.rooms import create_room, join_room, mark_room_read, update_room
from app.auth import current_account, login_required, require_account
from app.blueprints import int_arg, is_htmx, refusal_status
from app.errors import InvalidInput
from app.live_views.fragments import page_entries
from app.mail.config import presence_grace
from app.mail.outbox import would_email
from app.queries.direct_rooms import has_earlier_messages
from app.queries.members import room_aside, room_members
from app.queries.message_versions import latest_versions, versions_before
from app.queries.messages import reply_target
from app.queries.rooms import public_rooms
from app.rendering import render_page
from app.security import csrf_token
from config.settings import current_settings

blueprint = Blueprint("rooms", __name__)

INVOLVEMENT_SAVED = {
    "everything": "You will hear about every message in this room.",
    "mentions": "You will hear about this room only when someone @mentions you.",
    "nothing": "You will not hear about this room; it stays in your sidebar.",
}


@blueprint.get("/")
async def home() -> Any:
    return redirect(url_for("rooms.index"))


@blueprint.get("/rooms")
@login_required
async def index() -> Any:
    return await _index_page(form={}, errors={}, status=200)


@blueprint.post("/rooms")
@login_required
async def create() -> Any:
    user = await require_account()
    form = await request.form
    try:
        room = await create_room(user, form.get("name", ""), form.get("topic", ""),
                                 form.get("visibility", "public"))
    except InvalidInput as exc:
        return await _index_page(form=form, errors=exc.errors, status=refusal_status())
    await flash(f"Room “{room.name}” created.", "success")
    return redirect(url_for("rooms.show", room_id=room.id), 303)


@blueprint.get("/rooms/<int:room_id>")
@login_required
async def show(room_id: int) -> Any:
    user = await require_account()
    room, membership = await find_visible_room(user, room_id)
    if membership is not None:  # an invisible room comes back to the sidebar once opened
        await reveal_room(membership)
    around = int_arg("around")  # a message's link: the page of history with it in the middle
    before = around + current_settings().history_page_size // 2 + 1 if around else None
    return await render_room_page(room, membership, before=before or int_arg("before"),
                                  reply_to=int_arg("reply_to") if membership else None)


@blueprint.post("/rooms/<int:room_id>")
@login_required
async def update(room_id: int) -> Any:
    user = await require_account()
    room, membership = await require_renamer(user, room_id)
    form = await request.form
    try:
        await update_room(room, form.get("name", ""), form.get("topic", ""))
    except InvalidInput as exc:
        return await render_room_page(room, membership, form=form, errors=exc.errors,
                                      status=refusal_status())
    await flash("Room details saved.", "success")
    return redirect(url_for("rooms.show", room_id=room.id), 303)


@blueprint.post("/rooms/<int:room_id>/membership")
@login_required
async def join(room_id: int) -> Any:
    user = await require_account()
    room, membership = await find_visible_room(user, room_id)
    if membership is None:
        if not can_join(room):
            return await render_template("errors/error.html", code=403,
                                         message="This room is invite-only."), 403
        await join_room(room, user)
        await flash(f"You joined “{room.name}”.", "success")
    return redirect(url_for("rooms.show", room_id=room.id), 303)


@blueprint.post("/rooms/<int:room_id>/involvement")
@login_required
async def update_room_involvement(room_id: int) -> Any:
    """Choose how much of the room reaches me (the header menu's "Notify me about")."""
    user = await require_account()
    room, membership = await require_membership(user, room_id)
    try:
        await update_involvement(membership, (await request.form).get("involvement", ""))
    except InvalidInput as exc:
        return await render_room_page(room, membership, errors=exc.errors,
                                      status=refusal_status())
    if not membership.involvement.listed:  # leaving the room page would bring it back
        await flash(f"“{room.name}” is hidden from your sidebar; opening it again from "
                    "Browse rooms lists it again.", "success")
        return redirect(url_for("rooms.index"), 303)
    await flash(INVOLVEMENT_SAVED[membership.involvement], "success")
    return redirect(url_for("rooms.show", room_id=room.id), 303)


@blueprint.post("/rooms/<int:room_id>/read-marker")
@login_required
async def mark_read(room_id: int) -> Any:
    """Move the reader's marker to `seq` (default: the newest message). The page posts this
    when it has shown messages and no socket is open; the socket sends the same mark."""
    user = await require_account()
    room, membership = await require_membership(user, room_id)
    seq = int_arg("seq", await request.form)
    await mark_room_read(membership, room.last_seq if seq is None else min(seq, room.last_seq))
    if is_htmx():
        return "", 204
    return redirect(url_for("rooms.show", room_id=room.id), 303)


async def render_room_page(room: Any, membership: Any, *, before: int | None = None,
                           form: Any = None, errors: dict[str, str] | None = None,
                           status: int = 200, reply_to: int | None = None) -> Any:
    """The room page (also re-shown, with the typed text kept, when a form on it is refused).

    Showing it writes nothing: the page marks what it showed as read with a POST (or over
    its socket), and without JavaScript a "Mark as read" button does. `reply_to` (the no-JS
    "Reply" link, or a refused reply's form) puts that message's quote in the composer.
    """
    size = current_settings().history_page_size
    first_unread = None
    if before is None:
        messages = await latest_versions(room, size)
        if membership is not None:
            # Where I left off: the first message newer than my read mark, if it is loaded.
            first_unread = next((m.seq for m in messages if m.seq > membership.last_read_seq
                                 and m.author_id != membership.user_id), None)
    else:
        messages = await versions_before(room, before, size)
    viewer = await current_account()
    entries = await page_entries(
        messages, viewer_id=viewer.id if viewer else None, csrf=csrf_token(),
        moderator=viewer is not None and room.owner_id == viewer.id and not room.is_direct)
    aside = await room_aside(room)
    members = aside.members
    earlier_hidden = room.is_direct and membership is not None and \
        await has_earlier_messages(room, membership)
    me = membership.user_id if membership else None
    direct_label = ", ".join(m.user.username for m in members if m.user_id != me) or "Only you"
    # In a private conversation, say who is away and will be e-mailed (never what was written).
    grace = presence_grace(current_settings())
    emailed = [m.user.username for m in await room_members(room) if m.user_id != me
               and m.involvement.wants(True) and await would_email(m.user, grace)] \
        if room.is_direct else []
    if reply_to is None and form is not None and not (errors or {}).get("reply_to"):
        reply_to = _kept_reply_to(form.get("reply_to"))
    return await render_page(
        "rooms/show.html", room=room, membership=membership, messages=messages, entries=entries,
        reply_target=await reply_target(room, reply_to),
        has_older=bool(messages) and messages[0].seq > 1, paging_back=before is not None,
        first_unread_seq=first_unread,
        form={"client_msg_id": new_client_msg_id(), **(form or {})}, errors=errors or {},
        members=members,
        invitations=aside.invitations if membership else [],
        # You are online while you look at the page (your socket is on its way).
        online_user_ids=aside.online_user_ids | {me} - {None},
        earlier_hidden=earlier_hidden, direct_label=direct_label, emailed=emailed,
    ), status


def _kept_reply_to(value: str | None) -> int | None:
    """The reply target of a refused form, kept for the retry (None when it was malformed)."""
    try:
        return clean_reply_to(value)
    except InvalidInput:
        return None


async def _index_page(form: Any, errors: dict[str, str], status: int) -> Any:
    await require_account()
    # Which of them are mine: the sidebar's rooms (templates/rooms/index.html), no query more.
    return await render_page("rooms/index.html", rooms=await public_rooms(),
                                 form=form, errors=errors), status
