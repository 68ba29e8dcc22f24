"""Editing, deleting and reacting to messages, and reading a message's edit history."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, make_response, redirect, render_template, request, url_for

from app.access import (
    can_delete,
    find_visible_message,
    require_membership,
    require_message_author,
    require_message_remover,
)
from app.actions.message_changes import delete_message, edit_message
from app.actions.reactions import toggle_reaction
from app.auth import login_required, require_account
from app.blueprints import is_htmx, refusal_status
from app.blueprints.link_previews import preview_edited_link
from app.errors import DomainError
from app.live_views.fragments import message_html
from app.queries.messages import find_revisions, message_for_display
from config.settings import current_settings

blueprint = Blueprint("message_changes", __name__)
PATH = "/rooms/<int:room_id>/messages/<int:message_id>"


@blueprint.get(PATH + "/edit")
@login_required
async def edit(room_id: int, message_id: int) -> Any:
    user = await require_account()
    room, message = await require_message_remover(user, room_id, message_id)
    return await _edit_page(room, message, user, form={"body": message.body}, errors={})


@blueprint.post(PATH)
@login_required
async def update(room_id: int, message_id: int) -> Any:
    user = await require_account()
    room, message = await require_message_author(user, room_id, message_id)
    form = await request.form
    try:
        message = await edit_message(message, form.get("body", ""),
                                     current_settings().message_max_chars)
    except DomainError as exc:
        return await _edit_page(room, message, user, form=form, errors=exc.errors,
                                status=refusal_status())
    await preview_edited_link(message)
    return await _changed(room.id, message.id)


@blueprint.post(PATH + "/deletion")
@login_required
async def destroy(room_id: int, message_id: int) -> Any:
    user = await require_account()
    room, message = await require_message_remover(user, room_id, message_id)
    await delete_message(message, current_settings().media_dir)
    return await _changed(room.id, message.id)


@blueprint.post(PATH + "/reactions")
@login_required
async def react(room_id: int, message_id: int) -> Any:
    user = await require_account()
    room, _ = await require_membership(user, room_id)
    _, message = await find_visible_message(user, room_id, message_id)
    await toggle_reaction(message, user, (await request.form).get("emoji", ""))
    return await _changed(room.id, message.id)


@blueprint.get(PATH + "/revisions")
@login_required
async def revisions(room_id: int, message_id: int) -> Any:
    user = await require_account()
    room, message = await find_visible_message(user, room_id, message_id)
    return await render_template("messages/revisions.html", room=room, message=message,
                                 revisions=await find_revisions(message))


async def _edit_page(room: Any, message: Any, user: Any, form: Any, errors: dict[str, str],
                     status: int = 200) -> Any:
    return await render_template("messages/edit.html", room=room, message=message, form=form,
                                 errors=errors, is_author=message.author_id == user.id,
                                 can_delete=can_delete(room, message, user)), status


async def _changed(room_id: int, message_id: int) -> Any:
    """An in-list htmx form gets the message's new fragment; a page's form goes back to the room.

    The edit page's forms are boosted (HX-Boosted): they navigate, so they get the redirect too.
    """
    if not is_htmx() or request.headers.get("HX-Boosted") == "true":
        return redirect(url_for("rooms.show", room_id=room_id) + "#composer", 303)
    message = await message_for_display(message_id)
    response = await make_response(message_html(message))
    response.headers["Vary"] = "HX-Request"
    return response
