"""Link previews: asking for a card after a post or an edit, and its author removing it."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, make_response, redirect, request, url_for

from app.access import require_message_author
from app.actions.link_previews import relink_after_edit, remove_link_preview, request_link_preview
from app.auth import login_required, require_account
from app.blueprints import is_htmx
from app.queries.messages import message_for_display
from app.rendering import dom_id, render_fragment
from config.settings import current_settings

blueprint = Blueprint("link_previews", __name__)
PATH = "/rooms/<int:room_id>/messages/<int:message_id>/link-preview"


async def preview_posted_link(message: Any) -> None:
    """Queue a card for a just-posted message's first link (the fetch happens later, in the
    background: the post does not wait for it)."""
    if current_settings().link_previews and await request_link_preview(message):
        _wake()


async def preview_edited_link(message: Any) -> None:
    """After an edit: a card for a new first link, none for a link taken out."""
    if current_settings().link_previews and await relink_after_edit(message):
        _wake()


@blueprint.post(PATH + "/deletion")
@login_required
async def destroy(room_id: int, message_id: int) -> Any:
    user = await require_account()
    _, message = await require_message_author(user, room_id, message_id)
    await remove_link_preview(message)
    if not is_htmx() or request.headers.get("HX-Boosted") == "true":
        return redirect(url_for("rooms.show", room_id=room_id) + "#" + dom_id(message), 303)
    response = await make_response(await render_fragment(
        "messages/_message.html", message=await message_for_display(message.id)))
    response.headers["Vary"] = "HX-Request"
    return response


def _wake() -> None:
    previewer = current_app.extensions.get("link_previews")
    if previewer is not None:
        previewer.wake()
