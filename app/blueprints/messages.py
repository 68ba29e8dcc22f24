"""Posting messages and reading history pages (the catch-up contract lives here)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from app.access import find_visible_room, require_membership
from app.actions.messages import KeyChanged, create_message, post_sealed, post_text
from app.auth import login_required, require_account
from app.blueprints import (
    int_arg,
    is_htmx,
    read_file_upload,
    require_upload_allowance,
    upload_too_large,
)
from app.blueprints.errors import error_response
from app.blueprints.rooms import render_room_page
from app.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.live_views.frames import message_fragment
from app.mail.config import presence_grace
from app.media.uploads import media_settings
from app.queries.messages import (
    latest_messages,
    messages_after,
    messages_before,
    messages_changed_after,
)
from app.rendering import dom_id, render_fragment
from config.settings import current_settings

blueprint = Blueprint("messages", __name__)
# The server never sees a private conversation's text, so it must not take its files in clear.
NO_FILES_IN_DIRECT_ROOMS = ("Files cannot be sent in private conversations yet: they would "
                            "reach the server unencrypted. Nothing was sent.")
# The catch-up contract: GET ?after=<seq>&changes=<n> returns messages with seq > after, then
# messages with seq <= after whose change_seq > n (edited, deleted or reacted to since), each
# in its current state. This header carries the room's change counter as read before the
# rows: the client keeps it (data-change-seq) and sends it back as `changes` next time.
CHANGE_HEADER = "X-Parley-Change-Seq"


@blueprint.get("/rooms/<int:room_id>/messages")
@login_required
async def history(room_id: int) -> Any:
    user = await require_account()
    room, _ = await find_visible_room(user, room_id)
    size = current_settings().history_page_size
    after = int_arg("after")
    before = int_arg("before")
    changes = int_arg("changes")
    counter = room.last_change_seq  # read before the rows: a change racing this is sent again
    if after is not None:
        messages, loader = await messages_after(room, after), False
        if changes is not None:
            messages += await messages_changed_after(room, changes, after)
    elif before is not None:
        messages = await messages_before(room, before, size)
        loader = bool(messages) and messages[0].seq > 1
    else:
        messages = await latest_messages(room, size)
        loader = bool(messages) and messages[0].seq > 1
    html = await render_fragment("messages/_page.html", room=room, messages=messages,
                                 has_older=loader)
    return html, 200, {CHANGE_HEADER: str(counter)}


@blueprint.post("/rooms/<int:room_id>/messages")
@login_required
async def post(room_id: int) -> Any:
    user = await require_account()
    form = await request.form
    files = await request.files
    settings = current_settings()
    if not files.get("image"):
        # Text or a sealed envelope: one round trip that checks the membership (and the keys)
        # itself and says why it refused; the room is looked up only to show a refusal.
        try:
            message = await _post_without_file(room_id, user, form, settings)
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            room, membership = await require_membership(user, room_id)
            return await _refused(room, membership, form, exc)
        return await _posted(message)
    room, membership = await require_membership(user, room_id)
    try:
        upload = await read_file_upload(files.get("image"))
        if room.is_direct and upload is not None:
            raise InvalidInput({"image": NO_FILES_IN_DIRECT_ROOMS})
        if upload is not None:
            await require_upload_allowance(user, "image")
        message = await create_message(room, user, form.get("body", ""),
                                       form.get("client_msg_id"),
                                       max_chars=settings.message_max_chars,
                                       grace=presence_grace(settings), file=upload,
                                       media=media_settings(settings),
                                       reply_to=form.get("reply_to"))
    except DomainError as exc:
        return await _refused(room, membership, form, exc)
    return await _posted(message)


async def _post_without_file(room_id: int, user: Any, form: Any, settings: Any) -> Any:
    """A text message, or a direct room's sealed envelope (the browser sealed it: the only
    step that differs by kind)."""
    if "envelope" in form:
        return await post_sealed(room_id, user, form.get("envelope"), form.get("client_msg_id"),
                                 grace=presence_grace(settings), reply_to=form.get("reply_to"))
    return await post_text(room_id, user, form.get("body", ""), form.get("client_msg_id"),
                           max_chars=settings.message_max_chars,
                           grace=presence_grace(settings), reply_to=form.get("reply_to"))


async def _posted(message: Any) -> Any:
    """The answer to a post that was stored: the page scrolled to it, or its fragment."""
    if not is_htmx():
        # The newest page, scrolled to the message just posted (its id is the fragment's).
        return redirect(url_for("rooms.show", room_id=message.room_id) + "#" + dom_id(message),
                        303)
    # The same fragment the sockets get, rendered once for both.
    response = await make_response(await message_fragment(message))
    response.headers["Vary"] = "HX-Request"
    return response


@blueprint.errorhandler(RequestEntityTooLarge)
async def file_too_large(_error: RequestEntityTooLarge) -> Any:
    """413 with the limit spelled out, in the composer for htmx."""
    if not is_htmx():
        return await error_response(413, upload_too_large())
    html = await render_template("messages/_composer_error.html",
                                 errors={"image": upload_too_large()})
    return html, 413, {"HX-Retarget": "#composer-error", "HX-Reswap": "innerHTML",
                       "Vary": "HX-Request"}


async def _refused(room: Any, membership: Any, form: Any, exc: DomainError) -> Any:
    """Say what was wrong and keep what the user typed (the htmx composer is left untouched).

    A sealed message refused for stale keys also triggers `parley:keys-changed`, so the
    browser fetches the members' keys again and shows what changed before the next try.
    """
    if is_htmx():
        html = await render_template("messages/_composer_error.html", errors=exc.errors)
        status = 429 if exc.status == 429 else 422
        headers = {"HX-Retarget": "#composer-error", "HX-Reswap": "innerHTML",
                   "Vary": "HX-Request"}
        if isinstance(exc, KeyChanged):
            headers["HX-Trigger"] = "parley:keys-changed"
        return html, status, headers
    return await render_room_page(room, membership, form=form, errors=exc.errors,
                                  status=429 if exc.status == 429 else 400)
