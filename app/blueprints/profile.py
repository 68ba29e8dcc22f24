"""The profile page: who you are, your profile photo, password, e-mail settings and push
devices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, flash, redirect, render_template, request, url_for
from quart_auth import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.actions.accounts import change_password as change_user_password
from app.actions.avatars import update_avatar
from app.actions.notifications import DELAY_CHOICES, update_notification_settings
from app.auth import login_required, require_account
from app.blueprints import read_upload, require_upload_allowance, upload_too_large
from app.errors import DomainError, InvalidInput
from app.media.uploads import media_settings
from app.queries.push import devices_of
from app.queries.records import User
from app.security import client_ip, throttle
from config.settings import current_settings

blueprint = Blueprint("profile", __name__)

TOO_MANY = "Too many attempts. Wait a few minutes and try again."


@blueprint.get("/profile")
@login_required
async def show() -> Any:
    return await render_profile_page(await require_account())


@blueprint.post("/profile/avatar")
@login_required
async def update_photo() -> Any:
    user = await require_account()
    data = await read_upload((await request.files).get("avatar"))
    if data is None:
        return await render_profile_page(user, {"avatar": "Choose an image to upload."}, 400)
    try:
        await require_upload_allowance(user, "avatar")
        await update_avatar(user, data, media_settings(current_settings()))
    except DomainError as exc:
        return await render_profile_page(user, exc.errors, exc.status)
    await flash("Your profile photo is updated.", "success")
    return redirect(url_for("profile.show"), 303)


@blueprint.post("/profile/notifications")
@login_required
async def update_notifications() -> Any:
    user = await require_account()
    form = await request.form
    try:
        await update_notification_settings(user, form.get("email_notifications") == "on",
                                           form.get("delay", ""))
    except InvalidInput as exc:
        return await render_profile_page(user, exc.errors, 400)
    await flash("Your e-mail settings are saved.", "success")
    return redirect(url_for("profile.show"), 303)


@blueprint.post("/profile/password")
@login_required
async def change_password() -> Any:
    user = await require_account()
    form = await request.form
    # As at log-in: a stolen session cannot try current passwords at request speed.
    if not await throttle(f"password-change:{user.id}:{client_ip()}", 10, timedelta(minutes=15)):
        return await render_profile_page(user, {"current_password": TOO_MANY}, 429)
    try:
        await change_user_password(user, form.get("current_password", ""),
                                   form.get("new_password", ""),
                                   form.get("confirm_password", ""), current_user.auth_id or "")
    except InvalidInput as exc:
        return await render_profile_page(user, exc.errors, 400)
    await flash("Your password is changed. Every other browser signed in as you is logged out, "
                f"and a notice went to {user.email}.", "success")
    return redirect(url_for("profile.show"), 303)


@blueprint.errorhandler(RequestEntityTooLarge)
async def photo_too_large(_error: RequestEntityTooLarge) -> Any:
    """413 with the limit spelled out next to the photo form."""
    return await render_profile_page(await require_account(), {"avatar": upload_too_large()}, 413)


async def render_profile_page(user: User, errors: dict[str, str] | None = None,
                              status: int = 200) -> Any:
    """The profile page, with an error next to the photo form when an upload was refused."""
    devices = await devices_of(user)
    return await render_template("profile/show.html", user=user, errors=errors or {},
                                 delay_choices=DELAY_CHOICES, devices=devices), status
