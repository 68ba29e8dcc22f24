"""Domain errors: what actions and access checks raise, each with a message for the person.

They know nothing of HTTP or WebSockets. `app/blueprints/errors.py` maps them to HTTP
responses and `app/blueprints/stream.py` to WebSocket close codes, each in one place, by the
`status` every class carries (close codes follow from it there).
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a reason; `errors` maps a form field (or "form") to its message."""

    status = 400

    def __init__(self, message: str = "", *, field: str = "form",
                 errors: dict[str, str] | None = None) -> None:
        self.errors = dict(errors) if errors else {field: message}
        super().__init__("; ".join(self.errors.values()))

    @property
    def message(self) -> str:
        """All reasons as one sentence or more, for a page without the form."""
        return " ".join(self.errors.values())


class InvalidInput(DomainError):
    """Bad input the user can fix: `errors` maps a form field to a message about it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors=errors)


class Conflict(DomainError):
    """The request clashes with existing state (e.g. a client message id used by someone else)."""

    status = 409


class NotFound(DomainError):
    """Nothing by that name, or nothing this user may know exists."""

    status = 404

    def __init__(self, message: str = "There is nothing here, or you cannot see it.") -> None:
        super().__init__(message)


class BadCredentials(DomainError):
    """No credentials, or ones nobody holds any more (a bot's unknown or rotated API key)."""

    status = 401


class Forbidden(DomainError):
    """The user is known but may not do this."""

    status = 403


class Gone(DomainError):
    """It existed and was taken away for good (a revoked webhook): stop trying."""

    status = 410


class RateLimited(DomainError):
    """Too many requests of one kind in a short time; the message says when to try again."""

    status = 429


class Unavailable(DomainError):
    """A service is saturated or too slow for this request right now; trying later may work."""

    status = 503


# Why a bot is never in a private conversation (the admin page, "New message", adding one).
BOT_NOT_IN_DIRECT = ("A bot cannot join a private conversation: its messages are sealed for "
                     "the people in it, and a bot cannot read sealed text.")
