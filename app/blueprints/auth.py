"""Sign-up, log-in and log-out pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, current_app, flash, redirect, render_template, request, url_for
from quart_auth import AuthUser, current_user, login_user, logout_user

from app.actions.accounts import (
    authenticate,
    create_session,
    delete_session,
    is_first_account,
    register_user,
    signup_refusal,
)
from app.actions.instance import get_instance
from app.blueprints import is_htmx, safe_next
from app.errors import Forbidden, InvalidInput
from app.mail.health import delay_note
from app.security import client_ip, rotate_csrf_token, throttle
from config.settings import current_settings

blueprint = Blueprint("auth", __name__)

USERNAME_KEY_MAX = 64  # usernames are at most 32 characters; throttle keys hold 160
TOO_MANY = "Too many attempts. Wait a few minutes and try again."


@blueprint.route("/register", methods=["GET", "POST"])
async def register() -> Any:
    return await _sign_up(join_token=None)


@blueprint.route("/join/<token>", methods=["GET", "POST"])
async def join(token: str) -> Any:
    # The join link: a secret URL the administrator shares; a new one voids the old.
    return await _sign_up(join_token=token)


async def _sign_up(join_token: str | None) -> Any:
    """The sign-up form and its submission, for /register and for the join link."""
    signups = current_settings().signups
    if request.method == "GET":
        first = await is_first_account()
        refusal = None if first else signup_refusal(await get_instance(), signups, join_token)
        status = 404 if refusal and join_token else 200  # a dead join link is a dead page
        return await _register_page({}, {}, status, join_token, first, refusal)
    form = await request.form
    if not await throttle(f"signup-ip:{client_ip()}", 20, timedelta(hours=1)):
        return await _register_page(form, {"form": TOO_MANY}, 429, join_token)
    try:
        user = await register_user(form.get("username", ""), form.get("email", ""),
                                   form.get("password", ""), join_token, signups)
    except Forbidden as exc:
        return await _register_page(form, {}, 403, join_token, refusal=str(exc))
    except InvalidInput as exc:
        return await _register_page(form, exc.errors, 400, join_token)
    login_user(AuthUser((await create_session(user)).id), remember=True)
    rotate_csrf_token()
    welcome = f"Welcome to Parley, {user.username}!"
    if user.is_admin:
        welcome += " You are this server's administrator: invite people from the admin page."
    await flash(welcome + " We sent you an e-mail to confirm your address." + await delay_note(),
                "success")
    return redirect(url_for("rooms.index"), 303)


async def _register_page(form: Any, errors: dict[str, str], status: int,
                         join_token: str | None, first: bool | None = None,
                         refusal: str | None = None) -> Any:
    """The sign-up page; a refused first sign-up still says it makes the administrator."""
    if first is None:
        first = await is_first_account()
    action = url_for("auth.join", token=join_token) if join_token else url_for("auth.register")
    values = {k: v for k, v in form.items() if k != "password"}
    html = await render_template("auth/register.html", form=values, errors=errors,
                                 action=action, first=first, refusal=refusal)
    return html, status


@blueprint.route("/login", methods=["GET", "POST"])
async def login() -> Any:
    if request.method == "GET":
        return await render_template("auth/login.html", form={"next": request.args.get("next")},
                                     errors={})
    form = await request.form
    # A few log-ins are checked at once; the rest wait their turn here, before any query.
    async with current_app.extensions["login_slots"]:
        return await _log_in(form)


async def _log_in(form: Any) -> Any:
    """Check the submitted log-in form: sign in and redirect, or the form again saying why."""
    username = form.get("username", "").strip().lower()
    # Per account *and* source: a stranger's wrong guesses never lock the real user out.
    source = client_ip()
    allowed = await throttle(f"login-ip:{source}", 50, timedelta(minutes=15))
    allowed = await throttle(f"login-user:{username[:USERNAME_KEY_MAX]}:{source}", 10,
                             timedelta(minutes=15)) and allowed
    if not allowed:
        return await _form_page("auth/login.html", form, {"form": TOO_MANY}, 429)
    try:
        user = await authenticate(username, form.get("password", ""))
    except Forbidden as exc:  # deactivated: the password was right, so say why plainly
        return await _form_page("auth/login.html", form, {"form": str(exc)}, 403)
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
    if is_htmx():  # a boosted POST would keep the old page's address: make htmx navigate
        return "", 204, {"HX-Redirect": url_for("auth.login")}
    return redirect(url_for("auth.login"), 303)


async def _form_page(template: str, form: Any, errors: dict[str, str], status: int) -> Any:
    values = {k: v for k, v in form.items() if k != "password"}
    return await render_template(template, form=values, errors=errors), status
