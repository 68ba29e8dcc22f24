"""Managing a room's incoming webhooks (members make them; their maker or the owner revokes)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, flash, redirect, render_template, request, session, url_for

from app.access import require_webhook_manager, require_webhook_room
from app.actions.webhooks import create_webhook, revoke_webhook
from app.auth import login_required, require_account
from app.errors import InvalidInput
from app.queries.records import Room
from app.queries.webhooks import live_webhooks

blueprint = Blueprint("webhooks", __name__)



@blueprint.get("/rooms/<int:room_id>/webhooks")
@login_required
async def index(room_id: int) -> Any:
    room = await require_webhook_room(await require_account(), room_id)
    return await _webhooks_page(room)


@blueprint.post("/rooms/<int:room_id>/webhooks")
@login_required
async def create(room_id: int) -> Any:
    user = await require_account()
    room = await require_webhook_room(user, room_id)
    try:
        _, token = await create_webhook(room, user, (await request.form).get("name", ""))
    except InvalidInput as exc:
        return await _webhooks_page(room, exc.errors, 400)
    # Shown once on the next page (only its hash is stored); the signed session carries it
    # there so a reload of that page cannot create a second webhook.
    session["new_webhook_url"] = url_for("hooks.deliver", token=token, _external=True)
    await flash("The webhook is ready. Copy its URL now: it is shown only once.", "success")
    return redirect(url_for("webhooks.index", room_id=room.id), 303)


@blueprint.post("/rooms/<int:room_id>/webhooks/<int:webhook_id>/revocation")
@login_required
async def revoke(room_id: int, webhook_id: int) -> Any:
    webhook = await require_webhook_manager(await require_account(), room_id, webhook_id)
    await revoke_webhook(webhook)
    await flash(f"The webhook {webhook.name} is revoked: its URL no longer works.", "success")
    return redirect(url_for("webhooks.index", room_id=room_id), 303)


async def _webhooks_page(room: Room, errors: dict[str, str] | None = None,
                         status: int = 200) -> Any:
    webhooks = await live_webhooks(room)
    html = await render_template("webhooks/index.html", room=room, webhooks=webhooks,
                                 errors=errors or {}, new_url=session.pop("new_webhook_url", None))
    return html, status
