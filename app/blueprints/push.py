"""Web Push subscriptions: a browser subscribes itself; the profile page removes devices."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, abort, current_app, flash, redirect, request, url_for
from quart_auth import current_user

from app.actions.push_subscriptions import delete_subscription, save_subscription
from app.auth import login_required, require_account
from app.errors import DomainError
from app.queries.push import own_device

blueprint = Blueprint("push", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@blueprint.post("/push/subscriptions")
@login_required
async def subscribe() -> Any:
    user = await require_account()
    try:
        device = await save_subscription(user, current_user.auth_id or "", await request.form,
                                         request.headers.get("User-Agent", ""),
                                         current_app.extensions["outbound"])
    except DomainError as exc:  # a bad field (400), or the session ended meanwhile (403)
        return {"errors": exc.errors}, exc.status, NO_STORE
    return {"id": device.id, "device": device.device}, 201, NO_STORE


@blueprint.post("/push/subscriptions/<int:subscription_id>/deletion")
@login_required
async def remove(subscription_id: int) -> Any:
    user = await require_account()
    device = await own_device(user, subscription_id)
    if device is None:  # someone else's device is none of this user's business: 404, not 403
        abort(404, "That device is not in your list; it may have been removed already.")
    await delete_subscription(device)
    await flash(f"{device.device} will get no more notifications.", "success")
    return redirect(url_for("profile.show") + "#devices", 303)
