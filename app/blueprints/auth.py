"""Sign-up, log-in and log-out pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, flash, redirect, render_template, request, url_for
from quart_auth import AuthUser, current_user, login_user, logout_user

from app.actions.accounts import authenticate, create_session, delete_session, register_user
from app.actions.errors import InvalidInput
from app.blueprints import safe_next
from app.security import client_ip, rotate_csrf_token, throttle

blueprint = Blueprint("auth", __name__)

USERNAME_KEY_MAX = 64  # usernames are at most 32 characters; throttle keys hold 160
TOO_MANY = "Too many attempts. Wait a few minutes and try again."


@blueprint.route("/register", methods=["GET", "POST"])
async def register() -> Any:
    if request.method == "GET":
        return await render_template("auth/register.html", form={}, errors={})
    form = await request.form
    if not await throttle(f"signup-ip:{client_ip()}", 20, timedelta(hours=1)):
        return await _form_page("auth/register.html", form, {"form": TOO_MANY}, 429)
    try:
        user = await register_user(form.get("username", ""), form.get("email", ""),
                                   form.get("password", ""))
    except InvalidInput as exc:
        return await _form_page("auth/register.html", form, exc.errors, 400)
    login_user(AuthUser((await create_session(user)).id), remember=True)
    rotate_csrf_token()
    await flash(f"Welcome to Parley, {user.username}!", "success")
    return redirect(url_for("rooms.index"), 303)


@blueprint.route("/login", methods=["GET", "POST"])
async def login() -> Any:
    if request.method == "GET":
        return await render_template("auth/login.html", form={"next": request.args.get("next")},
                                     errors={})
    form = await request.form
    username = form.get("username", "").strip().lower()
    # Per account *and* source: a stranger's wrong guesses never lock the real user out.
    source = client_ip()
    allowed = await throttle(f"login-ip:{source}", 50, timedelta(minutes=15))
    allowed = await throttle(f"login-user:{username[:USERNAME_KEY_MAX]}:{source}", 10,
                             timedelta(minutes=15)) and allowed
    if not allowed:
        return await _form_page("auth/login.html", form, {"form": TOO_MANY}, 429)
    user = await authenticate(username, form.get("password", ""))
    if user is None:
        return await _form_page("auth/login.html", form,
                                {"form": "That username and password do not match."}, 400)
    login_user(AuthUser((await create_session(user)).id), remember=True)
    rotate_csrf_token()  # a token planted before login is worthless after it
    return redirect(safe_next(form.get("next")), 303)


@blueprint.post("/logout")
async def logout() -> Any:
    await delete_session(current_user.auth_id)
    logout_user()
    await flash("You are logged out.", "info")
    return redirect(url_for("auth.login"), 303)


async def _form_page(template: str, form: Any, errors: dict[str, str], status: int) -> Any:
    values = {k: v for k, v in form.items() if k != "password"}
    return await render_template(template, form=values, errors=errors), status
