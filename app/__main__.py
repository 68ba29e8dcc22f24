"""`python -m app`: resolve the database (embedded if none is configured), migrate, serve.

`python -m app import-slack export.zip` imports a Slack export instead (app/import_command.py).

What a newcomer sees on the first `make run`: a few short progress lines, then one line saying
where Parley is and what to do first (app/logs.py); a clean stop logs nothing alarming.
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os
import signal
import sys

import uvicorn

from app.db import DatabaseUnavailable, migrate_database
from app.embedded_pg import embedded_postgres, is_initialised, stop_embedded
from app.logs import logging_config
from app.static_files import precompress_in_background
from config.settings import Settings, SettingsError, require_writable

log = logging.getLogger("parley")


COMMANDS = {"import-slack": "app.import_command:import_slack_command"}


def main() -> None:
    """Start Parley the way `make run` and the container entrypoint do, or run a command."""
    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        sys.exit(_command(sys.argv[1], sys.argv[2:]))
    try:
        settings = Settings.from_env()
        require_writable(settings.var_dir)
    except SettingsError as exc:
        sys.exit(f"Parley cannot start: {exc}")
    logging.config.dictConfig(logging_config(settings))
    url, embedded = settings.database_url, None
    if url is None:
        pg = settings.var_dir / "pg"
        log.info("%s the embedded PostgreSQL in %s…",
                 "Starting" if is_initialised(pg) else "First start: setting up", pg)
        embedded = embedded_postgres(pg)
        url = embedded.get_uri()
        os.environ["DATABASE_URL"] = url  # worker processes read the same server
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through SystemExit instead
    # lets the `finally` below stop the embedded PostgreSQL cleanly (docker stop, systemd).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    refusal = None  # the one line saying why the database cannot be used
    try:
        log.info("Bringing the database schema up to date…")
        try:
            asyncio.run(migrate_database(url, pooled=settings.transaction_pooler))
        except DatabaseUnavailable as exc:
            refusal = f"Parley cannot start: {exc}"
        else:
            precompress_in_background()  # the static files' missing br/gzip copies, once per content
            _serve(settings)
    finally:
        if embedded is not None:
            stop_embedded(embedded)
        if refusal is None:
            log.info("Parley stopped.")
    if refusal:
        sys.exit(refusal)


def _command(name: str, argv: list[str]) -> int:
    """Run one of COMMANDS (imported only when asked for); its exit status."""
    import importlib

    module, _, function = COMMANDS[name].partition(":")
    result: int = getattr(importlib.import_module(module), function)(argv)
    return result


def _serve(settings: Settings) -> None:
    uvicorn.run(
        "app:create_app", factory=True, host=settings.host, port=settings.port,
        workers=settings.web_concurrency,
        # With WEB_CONCURRENCY > 1 the parent restarts a worker that takes longer than this to
        # start or to answer its health check: uvicorn's 5 s killed every worker, again and
        # again, while imports took longer on a loaded machine.
        timeout_worker_healthcheck=60,
        # uvloop and httptools: the event loop and the HTTP parser in C rather than Python.
        loop="uvloop", http="httptools",
        ws_max_size=64 * 1024, timeout_graceful_shutdown=10, lifespan="on",
        # Frames are small HTML; compressing each one per socket cost ~10% of the CPU under load.
        ws_per_message_deflate=False,
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level, access_log=settings.access_log,
        log_config=logging_config(settings),
    )


if __name__ == "__main__":
    main()
