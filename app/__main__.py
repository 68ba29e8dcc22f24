"""`python -m app`: resolve the database (embedded if none is configured), migrate, serve."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

import uvicorn

from app.db import migrate_database
from app.embedded_pg import embedded_postgres
from config.settings import Settings, SettingsError

log = logging.getLogger("parley")


def main() -> None:
    """Start Parley the way `make run` and the container entrypoint do."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"Parley cannot start: {exc}")
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    url, embedded = settings.database_url, None
    if url is None:
        embedded = embedded_postgres(settings.var_dir / "pg")
        url = embedded.get_uri()
        log.info("no DATABASE_URL: using the embedded PostgreSQL in %s", settings.var_dir / "pg")
        os.environ["DATABASE_URL"] = url  # worker processes read the same server
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through SystemExit instead
    # lets the `finally` below stop the embedded PostgreSQL cleanly (docker stop, systemd).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(migrate_database(url))
        log.info("migrations applied; serving on http://%s:%s", settings.host, settings.port)
        _serve(settings)
    finally:
        if embedded is not None:
            embedded.stop()


def _serve(settings: Settings) -> None:
    uvicorn.run(
        "app:create_app", factory=True, host=settings.host, port=settings.port,
        workers=settings.web_concurrency,
        ws_max_size=64 * 1024, timeout_graceful_shutdown=10, lifespan="on",
        # Frames are small HTML; compressing each one per socket cost ~10% of the CPU under load.
        ws_per_message_deflate=False,
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
    )


if __name__ == "__main__":
    main()
