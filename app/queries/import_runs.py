"""The imports the admin page shows: one run's progress and report, and the latest run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.import_report import ImportReport
from app.models import ImportRun

STALLED_SECONDS = 120  # app/actions/import_runs.py STALLED_AFTER


async def find_import_run(run_id: int) -> ImportRun | None:
    """A run by id, or None."""
    return await ImportRun.get_or_none(id=run_id)


async def latest_import_run() -> ImportRun | None:
    """The newest run, for the admin page's import section."""
    return await ImportRun.all().order_by("-id").first()


def run_view(run: ImportRun) -> dict[str, Any]:
    """What the progress fragment shows: percentage, state, the report's sentences."""
    report = ImportReport.from_json(run.report or {})
    stalled = run.status == "running" and \
        (datetime.now(UTC) - run.updated_at).total_seconds() > STALLED_SECONDS
    percent = 100 if run.status == "done" else \
        (100 * run.days_done // run.days_total if run.days_total else 0)
    return {"run": run, "report": report, "summary": report.summary(), "percent": percent,
            "stalled": stalled, "running": run.status == "running" and not stalled,
            "skipped": report.skipped.most_common()}
