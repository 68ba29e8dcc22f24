"""Sign-up, log-in and log-out: users and their revocable sessions."""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from app.actions.everyone_rooms import create_first_room, join_everyone_rooms
from app.actions.instance import effective_policy, get_instance, join_token_matches
from app.auth import session_cache
from app.errors import Forbidden, InvalidInput
from app.mail.outbox import (
    enqueue_email_verification,
    enqueue_password_changed,
    enqueue_password_reset,
)
from app.models import Instance, Session, SignupPolicy, User
from app.realtime.events import AccountChanged
from app.realtime.publish import in_transaction, publish
from app.security import hash_password_off_loop, password_matches, secret_digest

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 8
DEACTIVATED = ("This account has been deactivated by the administrator, so it cannot log in. "
               "Ask them to reactivate it if you need it again.")


async def register_user(username: str, email: str, password: str, join_token: str | None = None,
                        signups: str | None = None) -> User:
    """Create an account, sending its address a verification link.

    The first account is the administrator and needs no join link (its sign-up makes the
    instance's first room, "General", which everyone joins); later ones join every everyone
    room and need what the sign-up policy asks (`signups` is the SIGNUPS setting, overriding
    the administrator's choice). Raises Forbidden when sign-up is not allowed, InvalidInput per bad field.
    """
    username, email = username.strip(), email.strip()
    errors = _account_errors(username, email, password)
    if not errors.get("username") and (await User.exists(username_key=username.lower())
                                       or await bot_called(username)):
        errors["username"] = "That username is taken."
    if not await is_first_account():
        refusal = signup_refusal(await get_instance(), signups, join_token)
        if refusal:
            raise Forbidden(refusal)
    if errors:
        raise InvalidInput(errors)
    # Slow on purpose: off the event loop, and outside the lock below.
    password_hash = await hash_password_off_loop(password)
    try:
        async with in_transaction() as conn:
            instance = await get_instance(conn, lock=True)  # one sign-up at a time decides "first"
            first = await is_first_account(conn)
            refusal = None if first else signup_refusal(instance, signups, join_token)
            if refusal:  # the policy or the link changed since the check above
                raise Forbidden(refusal)
            user = await User.create(username=username, username_key=username.lower(),
                                     email=email, password_hash=password_hash, is_admin=first,
                                     using_db=conn)
            await enqueue_email_verification(user, conn)
            if first:  # a fresh instance: the room everyone who comes after joins
                await create_first_room(user, conn)
            else:
                await join_everyone_rooms(user, conn)
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        raise InvalidInput({"username": "That username is taken."}) from exc
    return user


def name_key(name: str) -> str:
    """A name as compared for sameness: spaces collapsed, compatibility characters folded
    ("ａｌｉｃｅ" is "alice"), case ignored, a leading "@" dropped. For people it is their
    `username_key`; a webhook's bot may not take a name whose key is a person's, nor a person
    a bot's, so nobody reads a bot's message as a person's."""
    folded = unicodedata.normalize("NFKC", " ".join(name.split())).casefold()
    return folded.lstrip("@").strip()


async def person_called(name: str) -> bool:
    """True when a person (deactivated or not) goes by `name` (see name_key)."""
    return await User.exists(username_key=name_key(name)[:32], is_bot=False)


async def bot_called(name: str) -> bool:
    """True when a webhook's bot (revoked or not: its messages stay) goes by `name`."""
    key = name_key(name)
    # An imported Slack bot is shown as "name (from Slack)": it keeps no name from anyone.
    bot_names = cast(list[str], await User.filter(is_bot=True, imported_from=None)
                     .values_list("username", flat=True))  # flat: the values
    return any(name_key(bot_name) == key for bot_name in bot_names)


async def is_first_account(conn: BaseDBAsyncClient | None = None) -> bool:
    """True until someone has signed up: that first person becomes the administrator (accounts
    an import made, waiting to be claimed, are nobody yet)."""
    return not await User.filter(is_bot=False, imported_from=None).using_db(conn).exists()


def signup_refusal(instance: Instance, signups: str | None, join_token: str | None) -> str | None:
    """Why a new account may not be made now, or None when it may."""
    policy = effective_policy(instance, signups)
    if policy == SignupPolicy.OPEN:
        return None
    if policy == SignupPolicy.CLOSED:
        return "Sign-up is closed on this server. Ask its administrator for an account."
    if not join_token:
        return ("Signing up needs this server's join link. Ask its administrator for it, "
                "then open the link to sign up.")
    if not join_token_matches(instance, join_token):
        return ("That join link is not valid: it may have been replaced by a new one. "
                "Ask the administrator for the current link.")
    return None


async def authenticate(username: str, password: str) -> User | None:
    """The user whose name and password match, else None (same cost either way).

    Raises Forbidden for a deactivated account, only once its password matched (so the
    message does not tell strangers which accounts exist).
    """
    key = username.strip().lower()
    user = await User.get_or_none(username_key=key, is_bot=False) if USERNAME.match(key) \
        else None
    if not await password_matches(user.password_hash if user else None, password):
        return None
    if user is not None and user.deactivated_at is not None:
        raise Forbidden(DEACTIVATED)
    return user


async def create_session(user: User) -> Session:
    """A new login session with an unguessable id (the cookie's auth_id)."""
    return await Session.create(id=secrets.token_urlsafe(32), user=user)


async def delete_session(session_id: str | None) -> None:
    """Revoke a login session (log out): its cookie stops working everywhere at once."""
    if not session_id:
        return
    async with in_transaction() as conn:
        session = await Session.get_or_none(id=session_id, using_db=conn)
        if session is None:
            return
        await session.delete(using_db=conn)
        await account_changed(session.user_id, signed_out=False, using_db=conn)


async def revoke_sessions(user_id: int) -> int:
    """End every session of a user (deactivation, a stolen password): their cookies stop
    working and their open sockets close, on every process. Returns how many ended."""
    async with in_transaction() as conn:
        ended = await Session.filter(user_id=user_id).using_db(conn).delete()
        await account_changed(user_id, signed_out=True, using_db=conn)
    return ended


async def account_changed(user_id: int, signed_out: bool,
                          using_db: BaseDBAsyncClient | None = None,
                          kept_session: str = "") -> None:
    """Every process forgets the user's cached sessions (this one at once, the others when the
    event arrives after commit); `signed_out` closes the user's sockets too, but those of the
    session whose digest is `kept_session`."""
    session_cache().forget_user(user_id)
    await publish(AccountChanged(user_id=user_id, signed_out=signed_out,
                                 kept_session=kept_session), using_db=using_db)


def _account_errors(username: str, email: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME.match(username):
        errors["username"] = ("Usernames are 2–32 characters: letters, digits, '.', '_' or '-', "
                              "starting with a letter or digit.")
    if len(email) > 254 or not EMAIL.match(email):
        errors["email"] = "Enter an e-mail address like name@example.com."
    error = _password_error(password)
    if error:
        errors["password"] = error
    return errors


async def request_password_reset(email: str) -> None:
    """Queue a reset e-mail for the account with this address; nothing for an unknown one."""
    user = await User.filter(email__iexact=email.strip(), deactivated_at=None, is_bot=False,
                             imported_from=None) \
        .order_by("id").first() if EMAIL.match(email.strip()) else None
    if user is not None:
        await enqueue_password_reset(user)


async def reset_password(user: User, password: str) -> None:
    """Set a new password and end every session, so a thief's cookie stops working."""
    error = _password_error(password)
    if error:
        raise InvalidInput({"password": error})
    await _set_password(user, password, kept_session=None)


async def change_password(user: User, current: str, new: str, confirmation: str,
                          session_id: str) -> None:
    """A signed-in person chooses a new password: the current one must be right. Every other
    session ends (this one, `session_id`, stays) and the address gets a notice, so a change
    the owner did not make does not go unseen. InvalidInput says which field is wrong."""
    errors: dict[str, str] = {}
    if not await password_matches(user.password_hash, current):
        errors["current_password"] = "That is not your current password. Nothing was changed."
    error = _password_error(new)
    if error:
        errors["new_password"] = error
    elif new != confirmation:
        errors["confirm_password"] = "The two new passwords are not the same."
    if errors:
        raise InvalidInput(errors)
    await _set_password(user, new, kept_session=session_id)


async def _set_password(user: User, password: str, kept_session: str | None) -> None:
    """Store the new password's hash and end the user's sessions but `kept_session`; a kept
    session means the owner changed it while signed in, so they are told by e-mail."""
    user.password_hash = await hash_password_off_loop(password)
    async with in_transaction() as conn:
        await user.save(update_fields=["password_hash"], using_db=conn)
        await Session.filter(user_id=user.id).exclude(id=kept_session or "").using_db(conn) \
            .delete()
        await account_changed(user.id, signed_out=True, using_db=conn,
                              kept_session=secret_digest(kept_session) if kept_session else "")
        if kept_session:
            await enqueue_password_changed(user, conn)


def _password_error(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"Passwords need at least {PASSWORD_MIN} characters."
    if len(password) > 1024:
        return "Passwords can be at most 1024 characters."
    return None
