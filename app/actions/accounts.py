"""Sign-up, log-in and log-out: users and their revocable sessions."""

from __future__ import annotations

import re
import secrets

from tortoise.exceptions import IntegrityError

from app.actions.errors import InvalidInput
from app.mail.outbox import enqueue_password_reset
from app.models import Session, User
from app.realtime.publish import in_transaction
from app.security import hash_password, verify_password

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 8


async def register_user(username: str, email: str, password: str) -> User:
    """Create an account; raises InvalidInput with a message per bad field."""
    username, email = username.strip(), email.strip()
    errors = _account_errors(username, email, password)
    if not errors.get("username") and await User.exists(username_key=username.lower()):
        errors["username"] = "That username is taken."
    if errors:
        raise InvalidInput(errors)
    try:
        return await User.create(username=username, username_key=username.lower(),
                                 email=email, password_hash=hash_password(password))
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        raise InvalidInput({"username": "That username is taken."}) from exc


async def authenticate(username: str, password: str) -> User | None:
    """The user whose name and password match, else None (same cost either way)."""
    key = username.strip().lower()
    user = await User.get_or_none(username_key=key) if USERNAME.match(key) else None
    if not verify_password(user.password_hash if user else None, password):
        return None
    return user


async def create_session(user: User) -> Session:
    """A new login session with an unguessable id (the cookie's auth_id)."""
    return await Session.create(id=secrets.token_urlsafe(32), user=user)


async def delete_session(session_id: str | None) -> None:
    """Revoke a login session: its cookie stops working everywhere at once."""
    if session_id:
        await Session.filter(id=session_id).delete()


def _account_errors(username: str, email: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME.match(username):
        errors["username"] = ("Usernames are 2–32 characters: letters, digits, '.', '_' or '-', "
                              "starting with a letter or digit.")
    if len(email) > 254 or not EMAIL.match(email):
        errors["email"] = "Enter an e-mail address like name@example.com."
    if len(password) < PASSWORD_MIN:
        errors["password"] = f"Passwords need at least {PASSWORD_MIN} characters."
    elif len(password) > 1024:
        errors["password"] = "Passwords can be at most 1024 characters."
    return errors


async def request_password_reset(email: str) -> None:
    """Queue a reset e-mail for the account with this address; nothing for an unknown one."""
    user = await User.filter(email__iexact=email.strip()).order_by("id").first() \
        if EMAIL.match(email.strip()) else None
    if user is not None:
        await enqueue_password_reset(user)


async def reset_password(user: User, password: str) -> None:
    """Set a new password and end every session, so a thief's cookie stops working."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput({"password": f"Passwords need at least {PASSWORD_MIN} characters."})
    if len(password) > 1024:
        raise InvalidInput({"password": "Passwords can be at most 1024 characters."})
    user.password_hash = hash_password(password)
    async with in_transaction() as conn:
        await user.save(update_fields=["password_hash"], using_db=conn)
        await Session.filter(user_id=user.id).using_db(conn).delete()
