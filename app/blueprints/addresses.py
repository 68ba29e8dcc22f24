"""E-mail addresses: the verification link, changing one's address, asking for a new link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.actions.addresses import change_email, resend_verification, verify_email
from app.auth import login_required, require_account
from app.blueprints.profile import render_profile_page
from app.errors import InvalidInput
from app.mail.health import delay_note
from app.mail.tokens import user_for_verification_token
from app.queries.records import User
from app.security import throttle
from config.settings import current_settings

blueprint = Blueprint("addresses", __name__)


@blueprint.get("/email/verification/<token>")
async def confirm(token: str) -> Any:
    # GET only shows a button: mail scanners follow links, and must not confirm for anyone.
    user = await _token_user(token)
    return await render_template("auth/verify_email.html", token=token, user=user, done=False)


@blueprint.post("/email/verification/<token>")
async def verify(token: str) -> Any:
    user = await _token_user(token)  # the signed token is the permission: no login needed
    await verify_email(user)
    return await render_template("auth/verify_email.html", token=token, user=user, done=True)


@blueprint.post("/profile/email")
@login_required
async def update() -> Any:
    user = await require_account()
    form = await request.form
    try:
        await change_email(user, form.get("email", ""), form.get("password", ""))
    except InvalidInput as exc:
        return await render_profile_page(user, exc.errors, 400)
    await flash(f"We sent a link to {user.email}: open it to confirm the address. Until then "
                "Parley sends it no notifications." + await delay_note(), "success")
    return redirect(url_for("profile.show"), 303)


@blueprint.post("/profile/email/verification")
@login_required
async def resend() -> Any:
    user = await require_account()
    if not await throttle(f"verify-resend:{user.id}", 5, timedelta(hours=1)):
        return await render_profile_page(
            user, {"verification": "Too many links asked for. Wait an hour and try again."}, 429)
    await resend_verification(user)
    await flash(f"A new confirmation link is on its way to {user.email}." + await delay_note(),
                "success")
    return redirect(url_for("profile.show"), 303)


async def _token_user(token: str) -> User:
    user = await user_for_verification_token(current_settings().signing_key, token)
    if user is None:
        abort(404, "This confirmation link is invalid, expired or already used. Ask for a new "
                   "one on your profile page.")
    return user
