"""Login sessions: quart-auth's cookie carries a random session id that the database must know."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from quart import current_app, redirect, request, url_for
from quart_auth import AuthUser, QuartAuth, Unauthorized, current_user

from app.models import Session, User
from app.session_cache import MISSING, SessionCache

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class SessionUser(AuthUser):
    """An AuthUser that is authenticated only while its session row exists (so logout revokes)."""

    @property
    async def is_authenticated(self) -> bool:
        return await self.load() is not None

    async def load(self) -> User | None:
        """The logged-in User: from this process's session cache, else one query."""
        if self.auth_id is None:
            return None
        cache = session_cache()
        user = cache.get(self.auth_id)
        if user is MISSING:
            session = await Session.get_or_none(id=self.auth_id).select_related("user")
            # A deactivated user's sessions are deleted; this also covers one made meanwhile.
            user = session.user \
                if session is not None and session.user.deactivated_at is None else None
            cache.put(self.auth_id, user)
        return user  # type: ignore[return-value]


class ParleyAuth(QuartAuth):
    user_class = SessionUser

    def init_app(self, app: Any) -> None:
        super().init_app(app)
        app.extensions["session_cache"] = SessionCache()


def session_cache() -> SessionCache:
    """This process's session cache (made with the app)."""
    return current_app.extensions["session_cache"]


async def current_account() -> User | None:
    """The User behind this request's session cookie, or None."""
    # quart-auth types current_user as its base class; ours is SessionUser (user_class).
    return await cast(SessionUser, current_user).load()


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
    """Unauthorized HTML requests go to the login page and come back afterwards: to the page
    the tab shows, for htmx's requests (a fragment is no place to come back to)."""
    if request.headers.get("HX-Request"):
        shown = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = urlunsplit(("", "", shown.path, shown.query, "")) if shown.path else \
            request.full_path.rstrip("?")
        return "", 401, {"HX-Redirect": url_for("auth.login", next=back)}
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
