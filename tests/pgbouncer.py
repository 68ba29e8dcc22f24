"""Debian's PgBouncer in transaction pooling mode in front of the test database server, run by
the test (what most managed PostgreSQL offers as its "pooled" endpoint).

It runs in the foreground as an unprivileged user (PgBouncer refuses root), listens on a free
loopback port with no Unix socket, lets the server's user in on trust (the test server's own
rule), keeps its files in a fresh folder, and is stopped with SIGTERM.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest

from app.db import database_name
from tests.server import ROOT, free_port, wait_listening

PGBOUNCER = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")


def require_pgbouncer() -> str:
    """The binary, installed by scripts/ensure-pgbouncer when missing; else the test fails,
    saying why (these tests prove a deployment the README documents: never skipped)."""
    if not os.access(PGBOUNCER, os.X_OK):
        ensure = subprocess.run([ROOT / "scripts" / "ensure-pgbouncer"], capture_output=True,
                                text=True, check=False)
        if ensure.returncode != 0 or not os.access(PGBOUNCER, os.X_OK):
            pytest.fail(f"PgBouncer is not at {PGBOUNCER} and could not be installed "
                        f"(`make test` installs it): "
                        f"{ensure.stderr.strip() or ensure.stdout.strip()}")
    return PGBOUNCER


class PgBouncer:
    """A running PgBouncer: `url_for(database_url)` is that database's pooled URL."""

    def __init__(self, port: int, user: str, password: str | None, log: Path) -> None:
        self.port = port
        self.user = user
        self.password = password
        self.log = log

    def url_for(self, database_url: str, query: str = "") -> str:
        secret = f":{quote(self.password, safe='')}" if self.password else ""
        return (f"postgresql://{self.user}{secret}@127.0.0.1:{self.port}/"
                f"{database_name(database_url)}{'?' + query if query else ''}")


@contextmanager
def pgbouncer(server_url: str, pool_mode: str = "transaction", pool_size: int = 4,
              tls: tuple[Path, Path] | None = None) -> Iterator[PgBouncer]:
    """PgBouncer on a free loopback port in front of `server_url`'s server (any database);
    with `tls` (certificate, key files), clients must speak TLS to it."""
    binary = require_pgbouncer()
    parts = urlsplit(server_url)
    socket_dir = dict(parse_qsl(parts.query)).get("host")
    host = parts.hostname or socket_dir or "127.0.0.1"
    user = unquote(parts.username or "postgres")
    password = unquote(parts.password) if parts.password else None
    # Run as whoever may reach the server: the owner of its socket folder, else nobody.
    run_as = (pwd.getpwuid(os.stat(socket_dir).st_uid).pw_name
              if socket_dir and os.getuid() == 0 else "nobody")
    folder = Path(tempfile.mkdtemp(prefix="parley-pgbouncer-"))
    port = free_port()
    (folder / "users.txt").write_text(f'"{user}" "{password or ""}"\n')
    client_tls = ""
    if tls is not None:
        shutil.copy(tls[0], folder / "server.crt")
        shutil.copy(tls[1], folder / "server.key")
        (folder / "server.key").chmod(0o600)
        client_tls = (f"client_tls_sslmode = require\n"
                      f"client_tls_cert_file = {folder / 'server.crt'}\n"
                      f"client_tls_key_file = {folder / 'server.key'}\n")
    (folder / "pgbouncer.ini").write_text(f"""
[databases]
* = host={host} port={parts.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = {pool_mode}
default_pool_size = {pool_size}
max_client_conn = 500
pidfile = {folder / "pgbouncer.pid"}
logfile = {folder / "pgbouncer.log"}
{client_tls}""")
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.getuid() == 0:
        entry = pwd.getpwnam(run_as)
        for path in (folder, *folder.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        command[1:1] = ["-u", run_as]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    log = folder / "pgbouncer.log"
    try:
        wait_listening("pgbouncer", port, proc, log)
        yield PgBouncer(port, user, password, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)

