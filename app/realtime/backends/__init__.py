"""Bus backends by URL scheme: each a supervised broadcaster `BroadcastBackend`.

Adding a transport (Redis, say) is one module with a `SupervisedBackend` subclass and one line
in `BACKENDS`; the bus, the dispatcher and the sockets do not change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from app.realtime.backends.postgres import PostgresBusBackend
from app.realtime.backends.redis import RedisBusBackend
from app.realtime.backends.supervised import SupervisedBackend

BACKENDS: dict[str, type[SupervisedBackend]] = {
    "postgres": PostgresBusBackend,
    "postgresql": PostgresBusBackend,
    "redis": RedisBusBackend,
    "rediss": RedisBusBackend,
}


def backend_for(url: str, on_resync: Callable[[], Awaitable[None]]) -> SupervisedBackend:
    """The backend that serves `url`'s scheme; ValueError for a scheme we do not speak."""
    scheme = urlsplit(url).scheme
    try:
        backend = BACKENDS[scheme]
    except KeyError:
        raise ValueError(f"no bus backend for {scheme!r} URLs "
                         f"(known: {', '.join(sorted(BACKENDS))})") from None
    return backend(url, on_resync)
