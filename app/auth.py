"""Login sessions: quart-auth's cookie carries a random session id that the database must know."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from quart import g, redirect, request, url_for
from quart_auth import AuthUser, QuartAuth, Unauthorized, current_user

from app.models import Session, User

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class SessionUser(AuthUser):
    """An AuthUser that is authenticated only while its session row exists (so logout revokes)."""

    @property
    async def is_authenticated(self) -> bool:
        return await self.load() is not None

    async def load(self) -> User | None:
        """The logged-in User, looked up once per request."""
        if self.auth_id is None:
            return None
        cache = g.setdefault("_session_users", {})
        if self.auth_id not in cache:
            session = await Session.get_or_none(id=self.auth_id).prefetch_related("user")
            # A deactivated user's sessions are deleted; this also covers one made meanwhile.
            active = session is not None and session.user.deactivated_at is None
            cache[self.auth_id] = session.user if active else None
        return cache[self.auth_id]


class ParleyAuth(QuartAuth):
    user_class = SessionUser


async def current_account() -> User | None:
    """The User behind this request's session cookie, or None."""
    return await current_user.load()


async def require_account() -> User:
    """The logged-in User; raises Unauthorized (redirect to login) when there is none."""
    user = await current_account()
    if user is None:
        raise Unauthorized()
    return user


def login_required[F: Callable[..., Awaitable[Any]]](view: F) -> F:
    """Run the view only for a logged-in user; others are sent to the login page."""

    @wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        await require_account()
        return await view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


async def redirect_to_login(_error: Unauthorized) -> Any:
    """Unauthorized HTML requests go to the login page and come back afterwards."""
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": url_for("auth.login", next=request.full_path.rstrip("?"))}
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
