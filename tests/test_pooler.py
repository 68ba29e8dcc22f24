"""Parley behind a transaction-mode pooler (Debian's PgBouncer, run by the test), and
DATABASE_URLs carrying libpq's parameters (sslmode=…), as managed PostgreSQL hands them out."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db import connect_arguments, database_name
from config.settings import Settings, SettingsError
from tests.certificates import loopback_certificates
from tests.mailbox import SmtpServer
from tests.pgbouncer import PgBouncer, pgbouncer
from tests.remote import RemoteUser, bodies_received, wait_registered
from tests.server import ROOT, free_port, running_server


@pytest.fixture
def bouncer(database_server: str) -> Iterator[PgBouncer]:
    # Few server connections: every process and transaction shares them, as in production.
    with pgbouncer(database_server, pool_size=4) as running:
        yield running


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def _start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`python -m app` with only `env` (plus PATH), expected to refuse to start."""
    return subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path),
                               "SECRET_KEY": "k", "PORT": str(free_port()), **env})


async def test_parley_posts_mails_restarts_and_delivers_live_through_a_transaction_pooler(
        bouncer: PgBouncer, database_url: str, smtp: SmtpServer, tmp_path: Path) -> None:
    # libpq's parameters ride along, on both URLs: the pooler takes no TLS, so prefer falls
    # back to plain TCP; the direct URL is a Unix socket.
    env = {"DATABASE_URL": bouncer.url_for(database_url,
                                           "sslmode=prefer&connect_timeout=10"
                                           "&application_name=parley"),
           "DB_POOLER": "transaction",
           "BUS_URL": f"{database_url}&sslmode=disable",
           "SECRET_KEY": "shared", "VAR_DIR": str(tmp_path),
           "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "MAIL_POLL_SECONDS": "0.1"}
    port, tag = free_port(), uuid.uuid4().hex[:6]
    output = tmp_path / "server.log"
    alice, bob = RemoteUser(f"http://127.0.0.1:{port}", f"alice{tag}"), None
    try:
        with running_server(env, port=port, output=output):
            await alice.sign_up()
            room_id = await alice.create_room(f"pooled {tag}")
            await alice.say(room_id, "before the restart")  # a text post: the posting pool
        first_run = output.read_text()

        # The second process meets server connections the first one used.
        with running_server(env, port=port, output=output):
            bob = RemoteUser(alice.base, f"bob{tag}")
            await bob.sign_up()
            await bob.confirm_address(smtp)  # sent by the mail loop, polling through the pooler
            await bob.join(room_id)
            ws = await bob.socket(room_id)
            await wait_registered(ws, bob, room_id)
            await alice.say(room_id, "after the restart")
            assert await bodies_received(ws, 1) == ["after the restart"]  # over the direct bus
            assert await bob.catch_up(room_id, 0) == ["before the restart", "after the restart"]
            await ws.close()
        second_run = output.read_text()
    finally:
        for user in (alice, bob):
            if user is not None:
                await user.close()

    for log in (first_run, second_run):
        assert "Traceback" not in log and "ERROR" not in log, log


def test_the_posts_generic_plan_is_set_per_transaction_and_does_not_outlive_it(
        database_server: str, database_url: str) -> None:
    # One server connection for everyone: what the post sets would be left on it for the next.
    with pgbouncer(database_server, pool_size=1) as single:
        child = subprocess.run([sys.executable, "-m", "tests.pooled_steps",
                                single.url_for(database_url)], cwd=ROOT, capture_output=True,
                               text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout.strip().splitlines()[-1])

    assert seen["inside"]["pid"] == seen["outside"]["pid"]  # the same server connection
    assert (seen["inside"]["mode"], seen["outside"]["mode"]) == ("force_generic_plan", "auto")


@pytest.mark.parametrize("bus", ["unset", "the pooler"])
def test_parley_refuses_in_one_line_to_listen_through_a_transaction_pooler(
        bouncer: PgBouncer, database_url: str, tmp_path: Path, bus: str) -> None:
    pooled = bouncer.url_for(database_url)
    env = {"DATABASE_URL": pooled, "DB_POOLER": "transaction",
           **({"BUS_URL": pooled} if bus == "the pooler" else {})}

    result = _start(env, tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Parley cannot start: DB_POOLER=transaction: the live bus cannot LISTEN through a "
        "transaction pooler; set BUS_URL to the database's direct postgres:// URL (past the "
        "pooler) or to a redis:// URL")


def test_a_pooler_that_db_pooler_does_not_announce_is_named_at_start(
        bouncer: PgBouncer, database_url: str, tmp_path: Path) -> None:
    result = _start({"DATABASE_URL": bouncer.url_for(database_url)}, tmp_path)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]  # after the progress lines
    assert line.startswith("Parley cannot start: DATABASE_URL (postgres@127.0.0.1:")
    assert "leads to a connection pooler" in line and "set DB_POOLER=transaction" in line


def test_sslmode_require_against_a_server_without_tls_is_one_line_not_a_traceback(
        bouncer: PgBouncer, database_url: str, tmp_path: Path) -> None:
    url = bouncer.url_for(database_url, "sslmode=require")
    result = _start({"DATABASE_URL": url, "DB_POOLER": "transaction",
                     "BUS_URL": database_url}, tmp_path)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]  # after the progress lines
    assert line.startswith("Parley cannot start: cannot connect to DATABASE_URL "
                           f"(postgres@127.0.0.1:{bouncer.port}/")
    assert "SSL" in line


@pytest.fixture
def tls_bouncer(database_server: str, tmp_path: Path) -> Iterator[tuple[PgBouncer, Path]]:
    """PgBouncer that takes only TLS clients, with a certificate of a CA of our own."""
    ca, certificate, key = loopback_certificates(tmp_path)
    with pgbouncer(database_server, tls=(certificate, key)) as running:
        yield running, ca


async def test_sslmode_verify_full_with_the_providers_ca_serves_over_tls(
        tls_bouncer: tuple[PgBouncer, Path], database_url: str, tmp_path: Path) -> None:
    bouncer, ca = tls_bouncer
    env = {"DATABASE_URL": bouncer.url_for(database_url, f"sslmode=verify-full&sslrootcert={ca}"),
           "DB_POOLER": "transaction", "BUS_URL": database_url, "VAR_DIR": str(tmp_path)}
    with running_server(env) as (base, _proc):
        alice = RemoteUser(base, f"alice{uuid.uuid4().hex[:6]}")
        try:
            await alice.sign_up()
            room_id = await alice.create_room("over TLS")
            await alice.say(room_id, "encrypted on the wire")
            assert await alice.catch_up(room_id, 0) == ["encrypted on the wire"]
        finally:
            await alice.close()


def test_a_certificate_of_another_ca_is_refused_in_one_line(
        tls_bouncer: tuple[PgBouncer, Path], database_url: str, tmp_path: Path) -> None:
    bouncer, _ca = tls_bouncer
    (tmp_path / "other").mkdir()
    stranger, _, _ = loopback_certificates(tmp_path / "other", "Another CA")
    url = bouncer.url_for(database_url, f"sslmode=verify-full&sslrootcert={stranger}")
    result = _start({"DATABASE_URL": url, "DB_POOLER": "transaction",
                     "BUS_URL": database_url}, tmp_path)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Parley cannot start: cannot connect to DATABASE_URL "
                           f"(postgres@127.0.0.1:{bouncer.port}/{database_name(database_url)}): "
                           "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")


@pytest.mark.parametrize(("query", "expected"), [
    ("pgbouncer=true", "DATABASE_URL='postgres://u:***@db.example/parley?pgbouncer=true': "
                       "unknown parameter 'pgbouncer' (Parley takes libpq's sslmode,"),
    ("sslmode=required", "DATABASE_URL='postgres://u:***@db.example/parley?sslmode=required': "
                         "sslmode='required': expected one of disable, allow, prefer, require"),
    ("connect_timeout=soon", "connect_timeout='soon': expected a whole number of seconds"),
])
def test_a_database_url_parameter_parley_cannot_use_is_refused_naming_the_variable(
        tmp_path: Path, query: str, expected: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"VAR_DIR": str(tmp_path), "SECRET_KEY": "k",
                           "DATABASE_URL": f"postgres://u:secret@db.example/parley?{query}"})

    assert expected in str(refused.value)
    assert "secret" not in str(refused.value)


def test_the_server_says_which_database_url_parameter_it_cannot_use(tmp_path: Path) -> None:
    result = _start({"DATABASE_URL": "postgresql://u:pw@127.0.0.1:9/db?sslmode=require"
                                     "&pool=yes"}, tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().startswith(
        "Parley cannot start: DATABASE_URL='postgresql://u:***@127.0.0.1:9/db?sslmode=require"
        "&pool=yes': unknown parameter 'pool'")


def test_libpqs_ssl_parameters_reach_asyncpg_and_connect_timeout_becomes_its_timeout() -> None:
    url = ("postgres://u:pw@db.example:6543/parley?sslmode=verify-full"
           "&sslrootcert=/etc/ca.pem&connect_timeout=7")

    arguments = connect_arguments(url, pooled=True)

    assert arguments == {
        "dsn": "postgresql://u:pw@db.example:6543/parley?sslmode=verify-full"
               "&sslrootcert=%2Fetc%2Fca.pem",
        "timeout": 7.0, "statement_cache_size": 0}
    assert "statement_cache_size" not in connect_arguments(url)


def test_db_pooler_takes_transaction_or_none(tmp_path: Path) -> None:
    env = {"VAR_DIR": str(tmp_path), "SECRET_KEY": "k", "BUS_URL": "redis://127.0.0.1:6379/0",
           "DATABASE_URL": "postgres://u@pooler.example:6432/parley"}

    assert Settings.from_env({**env, "DB_POOLER": "transaction"}).transaction_pooler
    assert not Settings.from_env({**env, "DB_POOLER": "none"}).transaction_pooler
    with pytest.raises(SettingsError, match="DB_POOLER='session': expected transaction"):
        Settings.from_env({**env, "DB_POOLER": "session"})
