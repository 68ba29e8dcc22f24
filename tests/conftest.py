"""Fixtures: one real PostgreSQL database per test session, the app in test_app(), personas."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from argon2 import PasswordHasher, profiles
from quart import Quart
from quart.testing.app import TestApp
from tortoise import connections

from app import create_app, security
from app.models import Delivery, NotificationStatus
from app.polling import stop_task
from config.settings import Settings, attach, settings_of
from tests.database import create_database, drop_database, migrate_in_child, test_database_server
from tests.helpers import Person, select_one
from tests.live import RecordingClient
from tests.mailbox import SmtpServer, calm_mailer, send_mail_to, wake_mailer
from tests.outbound import Connections, StubDns
from tests.pushservice import PushService
from tests.server import running_server

TABLES_KEPT = {"tortoise_migrations"}


@pytest.fixture(scope="session")
def database_server() -> Iterator[str]:
    with test_database_server() as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def database_url(database_server: str) -> AsyncIterator[str]:
    url = await create_database(database_server)
    await migrate_in_child(url)
    yield url
    await drop_database(database_server, url)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # The local push service (tests/pushservice.py) is on 127.0.0.1: allowed here, explicitly.
    return Settings(secret_key="test-secret", var_dir=Path(tmp_path_factory.mktemp("var")),
                    testing=True, history_page_size=50,
                    outbound_allowed_networks=("127.0.0.1/32",))


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """In this process, hash passwords with argon2id at its cheapest cost instead of the
    production cost (~0.1-0.3 s a hash, on purpose): hundreds of tests sign people up and log
    them in. Server processes the tests start keep the real cost, and
    tests/test_security.py checks that a fresh process hashes at it."""
    saved = security.use_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    security.use_password_hasher(saved)


@pytest_asyncio.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[Quart]:
    application = create_app(settings, database_url=database_url)
    application.test_client_class = RecordingClient
    # Names resolve from a table, never through DNS; connections go to loopback only.
    application.extensions["outbound"] = replace(application.extensions["outbound"],
                                                 resolve=StubDns(), connect=Connections())
    # Quart's default 6 s for after_serving is too tight on a loaded 2-core machine.
    async with TestApp(application, startup_timeout=60, shutdown_timeout=60):
        yield application


@pytest_asyncio.fixture(autouse=True)
async def clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables and no media files (only for tests that use the app)."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions["search_limiter"].clear()
        request.getfixturevalue("app").extensions["people_search_limiter"].clear()
        shutil.rmtree(settings_of(request.getfixturevalue("app")).media_dir, ignore_errors=True)
        await _empty_tables(connections.get("default"))
    yield


async def _empty_tables(conn: Any) -> None:
    """Delete every row and restart every id sequence, as TRUNCATE ... RESTART IDENTITY would.

    DELETE, not TRUNCATE: on tables this small a DELETE takes about a millisecond, where a
    TRUNCATE of all of them swaps every table's files (0.1-0.3 s, on every test). The lock a
    TRUNCATE takes is kept: it waits until no transaction of the previous test's background
    work (an outbox pass, a fan-out) is still open, so none commits rows after the DELETE.
    Every foreign key is ON DELETE CASCADE or SET NULL, so the order does not matter. setval()
    restarts the tables' sequences without a new file each, as ALTER SEQUENCE RESTART would.
    One script runs as one transaction: the lock is held until the rows are gone.
    """
    _, rows = await conn.execute_query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    tables = [r["tablename"] for r in rows if r["tablename"] not in TABLES_KEPT]
    if not tables:
        return
    names = ", ".join(f"'{table}'" for table in tables)
    quoted = ", ".join(f'"{table}"' for table in tables)
    statement = f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE;" + "".join(
        f'DELETE FROM "{table}";' for table in tables) + (
        "SELECT setval(s.oid::regclass, 1, false) FROM pg_class s "
        "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        f"WHERE s.relkind = 'S' AND t.relnamespace = 'public'::regnamespace AND t.relname IN ({names});")
    for attempt in range(5):
        try:
            await conn.execute_script(statement)
            return
        except Exception as exc:  # Tortoise wraps asyncpg's DeadlockDetectedError
            # The session app's outbox loops may hold a table the LOCK needs while waiting for
            # another: PostgreSQL then cancels one side ("deadlock detected"); go again.
            if "deadlock detected" not in str(exc) or attempt == 4:
                raise


@pytest_asyncio.fixture
async def alice(app: Quart) -> Person:
    person = Person(app, "alice")
    await person.sign_up()
    return person


@pytest_asyncio.fixture
async def bob(app: Quart) -> Person:
    person = Person(app, "bob")
    await person.sign_up()
    return person


@pytest_asyncio.fixture
async def mallory(app: Quart) -> Person:
    person = Person(app, "mallory")
    await person.sign_up()
    return person


@pytest_asyncio.fixture
async def room_id(alice: Person, bob: Person) -> int:
    """A public room alice made and bob joined."""
    room = await alice.create_room("general", "Anything goes")
    await bob.join(room)
    return room


@pytest_asyncio.fixture
async def private_room(alice: Person, bob: Person) -> int:
    """A private room alice owns; bob was invited and accepted, so he is a member too."""
    room = await alice.create_room("secret plans", "Only for us", visibility="private")
    await alice.invite(room, "bob")
    page = await (await bob.get("/rooms")).get_data()
    accept = select_one(page, ".invitation form[action$='/acceptance']")["action"]
    response = await bob.post(accept)
    assert response.status_code == 303
    return room


@pytest_asyncio.fixture
async def smtp(app: Quart) -> AsyncIterator[SmtpServer]:
    """A real SMTP server the app sends to, with a batching delay of 0.4 s."""
    server = SmtpServer()
    server.start()
    undo = send_mail_to(app, server)
    await wake_mailer(app)  # polling every 50 ms from now, not after the 5 s it is sleeping
    yield server
    undo()
    await calm_mailer(app)
    server.stop()


@pytest_asyncio.fixture
async def push_service(app: Quart) -> AsyncIterator[PushService]:
    """A real HTTP push service on 127.0.0.1; the app's push sender polls every 50 ms."""
    service = PushService()
    await service.start()
    before = settings_of(app)
    attach(app, replace(before, push_poll_seconds=0.05, push_timeout_seconds=5.0,
                        push_retry_seconds=0.1))
    sender = app.extensions["push"]
    await stop_task(sender.task)  # polling every 50 ms from now, not after the 2 s it is sleeping
    sender.task = asyncio.create_task(sender.run())
    yield service
    # Leave no push in flight or pending: the next test's clean-up must not wait on it.
    await stop_task(sender.task)
    await Delivery.pushes().filter(status=NotificationStatus.PENDING).delete()
    attach(app, before)
    sender.task = asyncio.create_task(sender.run())
    await service.stop()


@pytest_asyncio.fixture
async def empty_database(database_server: str) -> AsyncIterator[str]:
    """A migrated database of its own, with nobody signed up yet."""
    url = await create_database(database_server)
    await migrate_in_child(url)
    yield url
    await drop_database(database_server, url)


@pytest.fixture
def fresh_server(empty_database: str, tmp_path: Path) -> Iterator[str]:
    """A real server process for a new instance, on the default sign-up policy (the join
    link): SIGNUPS="" takes back the SIGNUPS=open other test servers run with."""
    env = {"DATABASE_URL": empty_database, "VAR_DIR": str(tmp_path), "SIGNUPS": ""}
    with running_server(env) as (base, _proc):
        yield base
