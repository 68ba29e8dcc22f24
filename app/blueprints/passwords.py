"""Forgotten passwords: ask for a reset link by e-mail, then choose a new password."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, flash, redirect, render_template, request, url_for

from app.actions.accounts import request_password_reset, reset_password
from app.errors import InvalidInput, NotFound
from app.mail.health import delay_note
from app.mail.tokens import user_for_reset_token
from app.security import client_ip, throttle
from config.settings import current_settings

blueprint = Blueprint("passwords", __name__)

SENT = ("If an account uses that address, an e-mail with a reset link is on its way. "
        "The link works once, for 30 minutes.")


@blueprint.route("/password/reset", methods=["GET", "POST"])
async def forgot() -> Any:
    if request.method == "GET":
        return await render_template("auth/forgot.html", sent=False, errors={})
    email = (await request.form).get("email", "")
    allowed = await throttle(f"reset-ip:{client_ip()}", 10, timedelta(hours=1))
    allowed = await throttle(f"reset-email:{email.strip().lower()[:120]}", 3,
                             timedelta(hours=1)) and allowed
    if not allowed:
        return await render_template("auth/forgot.html", sent=False,
                                     errors={"form": "Too many attempts. Wait and try again."}), 429
    await request_password_reset(email)  # the answer is the same whether or not it exists
    return await render_template("auth/forgot.html", sent=True, errors={},
                                 delayed=(await delay_note()).strip())


@blueprint.route("/password/reset/<token>", methods=["GET", "POST"])
async def choose(token: str) -> Any:
    user = await user_for_reset_token(current_settings().signing_key, token)
    if user is None:
        raise NotFound("This reset link is invalid, expired or already used. Ask for a new one.")
    if request.method == "GET":
        return await render_template("auth/reset.html", token=token, errors={})
    try:
        await reset_password(user, (await request.form).get("password", ""))
    except InvalidInput as exc:
        return await render_template("auth/reset.html", token=token, errors=exc.errors), 400
    await flash("Your password is changed and you are logged out everywhere. Log in again.",
                "success")
    return redirect(url_for("auth.login"), 303)
