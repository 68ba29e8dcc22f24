"""Running an import in the background of the server, its progress kept in import_runs.

The admin page uploads an export; the route checks it (refusals are shown at once), records a
run and hands the import to a background task of the app. The task writes its progress to the
run's row after every day file, so whichever app process the page polls can show it, and its
report (or the error that stopped it) when it ends. The uploaded file is deleted then.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.actions.slack_import import import_slack_export
from app.errors import Conflict, DomainError
from app.import_report import ImportReport
from app.models import ImportRun, User
from app.slack_export import ExportLimits

log = logging.getLogger("parley.import")
# A running import writes its progress at least this often; a run silent for longer stopped
# (its server was restarted): another may start, and the page says what to do.
STALLED_AFTER = timedelta(minutes=2)
STOPPED = ("The server stopped during the import. What was imported stays: upload the export "
           "again to import the rest (nothing is imported twice).")
BUSY = ("An import is already running. Wait until it ends (its progress is on this page), "
        "then upload the next export.")


async def start_import_run(admin: User, file_name: str, days_total: int) -> ImportRun:
    """Record a new run; Conflict while another one is still making progress."""
    recent = datetime.now(UTC) - STALLED_AFTER
    if await ImportRun.filter(status="running", updated_at__gte=recent).exists():
        raise Conflict(BUSY, field="export")
    return await ImportRun.create(source="slack", file_name=file_name[:255], started_by=admin,
                                  days_total=days_total)


async def run_import(run_id: int, path: Path, limits: ExportLimits) -> None:
    """Import the export at `path` for run `run_id`, recording progress and the outcome."""
    async def progress(done: int, total: int, report: ImportReport) -> None:
        await ImportRun.filter(id=run_id).update(days_done=done, days_total=total,
                                                 report=report.to_json(),
                                                 updated_at=datetime.now(UTC))
    try:
        report = await import_slack_export(str(path), limits, progress)
    except DomainError as exc:
        await _finish(run_id, "failed", error=exc.message)
    except asyncio.CancelledError:  # the server is stopping: say so, while the database is there
        await _finish(run_id, "failed", error=STOPPED)
        raise
    except Exception as exc:  # recorded for the page: a background task has nobody to tell
        log.exception("the Slack import %s stopped", run_id)
        await _finish(run_id, "failed", error=f"The import stopped: {type(exc).__name__}: "
                      f"{exc}. What was imported stays; importing the export again adds the "
                      "rest and duplicates nothing.")
    else:
        await _finish(run_id, "done", report=report)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def _finish(run_id: int, status: str, *, error: str = "",
                  report: ImportReport | None = None) -> None:
    now = datetime.now(UTC)
    fields: dict[str, object] = {"status": status, "error": error[:2000], "updated_at": now,
                                 "finished_at": now}
    if report is not None:
        fields["report"] = report.to_json()
    await ImportRun.filter(id=run_id).update(**fields)
