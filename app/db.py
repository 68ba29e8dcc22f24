"""Database wiring: the Tortoise config, ORM start/stop, and migrations under an advisory lock.

Pooled connections are handed back without asyncpg's reset query (advisory unlock, CLOSE ALL,
UNLISTEN, RESET ALL), which cost a round trip on every release: a tenth of the server's CPU
under load. That is safe because the app never leaves session state on a pooled connection:
settings are `SET LOCAL` (ending with their transaction), the migration lock and the bus's
LISTEN use connections of their own, and no cursor outlives its transaction. An open
transaction is still rolled back on release (asyncpg does that before any reset).
tests/test_db_pool.py holds the app to this.

Every connection is made from the whole DATABASE_URL, so asyncpg reads libpq's parameters
(sslmode, sslrootcert, …) itself; config/settings.py lists the ones accepted.

Behind a transaction-mode pooler (DB_POOLER=transaction; PgBouncer, the pooled endpoint of most
managed PostgreSQL) each transaction may run on another server connection, and the pooler
refuses startup parameters it does not know. So there: no statement cache (asyncpg's named
prepared statements would be missing, or already there, on the next server connection), no
`server_settings` (the posting statement's generic plan is set with SET LOCAL in its
transaction instead), the migration lock is a transaction's, and the bus LISTENs on a direct
URL (BUS_URL; config/settings.py refuses to start without one). tests/test_pooler.py runs
Parley through Debian's PgBouncer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from copy import deepcopy
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.asyncpg import AsyncpgDBClient
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

# The connections of the one-statement post (app/actions/message_insert.py), whose plan is kept
# generic: PostgreSQL re-planned it for every post otherwise (about 1 ms of its CPU per post
# against 0.35 ms, measured on a room of 100), because its estimate for the generic plan of a
# nine-part statement looks dearer than a custom one. No other query is affected.
POSTING = "posting"
GENERIC_PLAN = {"plan_cache_mode": "force_generic_plan"}
_posting: AsyncpgDBClient | None = None
_pooled = False  # started behind a transaction-mode pooler (see the module's docstring)
MIGRATION_LOCK_ID = 0x7061726C  # "parl": one migrator at a time across replicas


def asyncpg_dsn(url: str) -> str:
    """The URL in the form asyncpg and broadcaster accept."""
    for prefix in ("postgres://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def database_name(url: str) -> str:
    """The database a URL points at."""
    return urlsplit(url).path.lstrip("/")


def connect_arguments(url: str, pooled: bool = False) -> dict[str, Any]:
    """asyncpg.connect / create_pool keyword arguments for a postgres URL: the URL as asyncpg's
    dsn (it reads libpq's sslmode, sslrootcert, … there), libpq's connect_timeout as asyncpg's
    timeout, and behind a transaction pooler no statement cache."""
    parts = urlsplit(asyncpg_dsn(url))
    kept: list[tuple[str, str]] = []
    arguments: dict[str, Any] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "connect_timeout":
            if int(value) > 0:  # libpq's 0: wait indefinitely
                arguments["timeout"] = float(value)
        else:
            kept.append((name, value))
    arguments["dsn"] = urlunsplit(parts._replace(query=urlencode(kept)))
    if pooled:
        arguments["statement_cache_size"] = 0
    return arguments


def describe(url: str) -> str:
    """Where a URL leads, without its password: user@host:port/database."""
    parts = urlsplit(url)
    host = parts.hostname or dict(parse_qsl(parts.query)).get("host", "localhost")
    user = f"{parts.username}@" if parts.username else ""
    return f"{user}{host}:{parts.port or 5432}/{database_name(url)}"


class DatabaseUnavailable(Exception):
    """Parley cannot use DATABASE_URL's database; the message says why in one line."""


class UrlAsyncpgClient(AsyncpgDBClient):
    """Tortoise's asyncpg client, also handing asyncpg the whole URL (connect_arguments)."""

    def __init__(self, dsn: str, **kwargs: Any) -> None:
        self.dsn = dsn
        super().__init__(**kwargs)

    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(self.dsn, **kwargs)


client_class = UrlAsyncpgClient  # this module is the Tortoise "engine" of tortoise_config


class PooledConnection(asyncpg.Connection):
    """A pool connection released without a reset query (see the module's docstring)."""

    def get_reset_query(self) -> str:
        return ""


def tortoise_config(url: str, pool_max: int = 10, pooled: bool = False) -> dict[str, Any]:
    """Tortoise config for one PostgreSQL database, with the explicit migrations key it needs."""
    arguments = connect_arguments(url, pooled)
    parts = urlsplit(arguments["dsn"].replace("postgresql://", "asyncpg://", 1))
    # Tortoise takes host, port, user, password and database from the URL; the rest of the
    # query is asyncpg's to read from the dsn (Tortoise would pass each as a keyword).
    host = [(k, v) for k, v in parse_qsl(parts.query) if k == "host"]
    connection = expand_db_url(urlunsplit(parts._replace(query=urlencode(host))))
    connection["engine"] = __name__
    connection["credentials"].update(arguments, minsize=1, maxsize=pool_max,
                                     connection_class=PooledConnection)
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": ["app.models"],
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def start_orm(url: str, pool_max: int = 10, pooled: bool = False) -> None:
    """Open the ORM for request handling (with Tortoise's global fallback, so every request task sees it)."""
    global _posting, _pooled
    config = tortoise_config(url, pool_max, pooled)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    # Outside Tortoise's config: with two connections there, every unnamed transaction would
    # have to say which one it means.
    credentials = deepcopy(config["connections"]["default"]["credentials"])
    credentials.update(maxsize=max(2, pool_max // 2), connection_name=POSTING)
    if not pooled:  # behind a pooler, posting() sets it per transaction instead
        credentials.update(server_settings=dict(GENERIC_PLAN))
    _posting, _pooled = UrlAsyncpgClient(**credentials), pooled


def posting_connection() -> BaseDBAsyncClient:
    """The connections the one-statement post runs on (see POSTING)."""
    if _posting is None:
        raise RuntimeError("the ORM is not started")
    return _posting


@asynccontextmanager
async def posting() -> AsyncIterator[BaseDBAsyncClient]:
    """Where to run the one-statement post: the posting pool (one round trip, its connections
    keep a generic plan), or behind a transaction pooler a transaction of it that sets the
    generic plan first (a setting that ends with the transaction, as a pooler needs)."""
    client = posting_connection()
    if not _pooled:
        yield client
        return
    async with client._in_transaction() as conn:
        await conn.execute_script("SET LOCAL plan_cache_mode = force_generic_plan")
        yield conn


async def stop_orm() -> None:
    """Close the pools and clear Tortoise's global context so a later start works."""
    global _posting
    if _posting is not None:
        await _posting.close()
        _posting = None
    await Tortoise.close_connections()


async def migrate_database(url: str, pooled: bool = False) -> None:
    """Apply pending migrations, one process at a time (safe with several replicas).

    The lock is a transaction's, held open while the migrations run on other connections: a
    session's lock would stay on whichever server connection a pooler lent, after we left.
    """
    lock_conn = await first_connection(url, pooled)
    try:
        async with lock_conn.transaction():
            await lock_conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_ID)
            try:
                await migrate(config=tortoise_config(url, pool_max=2, pooled=pooled))
            finally:
                await Tortoise.close_connections()
    finally:
        await lock_conn.close()


async def first_connection(url: str, pooled: bool = False) -> asyncpg.Connection:
    """Start-up's first connection, made as the posting pool's will be; DatabaseUnavailable,
    in one line, when that cannot work (the server refuses, TLS is refused, a pooler that
    DB_POOLER does not announce refuses the posting pool's startup parameter)."""
    arguments = connect_arguments(url, pooled)
    if not pooled:
        arguments["server_settings"] = dict(GENERIC_PLAN)
    try:
        return await asyncpg.connect(**arguments)
    except asyncpg.ProtocolViolationError as exc:
        if "unsupported startup parameter" not in str(exc):
            raise DatabaseUnavailable(_unreachable(url, exc)) from None
        raise DatabaseUnavailable(
            f"DATABASE_URL ({describe(url)}) leads to a connection pooler (it refused the "
            f"startup parameter plan_cache_mode): set DB_POOLER=transaction, and BUS_URL to "
            f"the database's direct URL for the live bus") from None
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(_unreachable(url, exc)) from None


def _unreachable(url: str, exc: BaseException) -> str:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"cannot connect to DATABASE_URL ({describe(url)}): {reason}"
