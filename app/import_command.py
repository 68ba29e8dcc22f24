"""`python -m app import-slack export.zip`: import a Slack export from the server's shell.

It uses the database `python -m app` would (DATABASE_URL, else the embedded one under
VAR_DIR), brings its schema up to date, prints progress on one line while it works, then the
report, including what was skipped and why. Exit status 0 when the import ran, 1 when the
export was refused (the reason is printed), 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from app.actions.slack_import import Progress, import_slack_export
from app.db import DatabaseUnavailable, migrate_database, start_orm, stop_orm
from app.embedded_pg import embedded_postgres, stop_embedded
from app.errors import DomainError
from app.import_report import ImportReport
from app.slack_export import ExportLimits
from config.settings import Settings, SettingsError


def import_slack_command(argv: list[str], out: TextIO = sys.stdout) -> int:
    """Run the command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m app import-slack",
                                     description="Import a Slack workspace export (.zip).")
    parser.add_argument("export", help="the .zip file Slack's “Export data” made")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"Parley cannot start: {exc}", file=out)
        return 1
    url, embedded = settings.database_url, None
    if url is None:
        embedded = embedded_postgres(settings.var_dir / "pg")
        url = embedded.get_uri()
    try:
        return asyncio.run(_run(url, args.export, settings, out))
    finally:
        if embedded is not None:
            stop_embedded(embedded)


async def _run(url: str, path: str, settings: Settings, out: TextIO) -> int:
    try:
        await migrate_database(url, pooled=settings.transaction_pooler)
    except DatabaseUnavailable as exc:
        print(f"Parley cannot start: {exc}", file=out)
        return 1
    await start_orm(url, pool_max=2, pooled=settings.transaction_pooler)
    limits = ExportLimits(max_bytes=settings.import_max_bytes,
                          max_members=settings.import_max_files)
    try:
        print(f"Importing {path}…", file=out)
        report = await import_slack_export(path, limits, _printer(out))
    except DomainError as exc:
        print(f"\nRefused: {exc.message}", file=out)
        return 1
    finally:
        await stop_orm()
    print_report(report, out)
    return 0


def print_report(report: ImportReport, out: TextIO) -> None:
    """The report as the admin page shows it: what was made, then what was skipped and why."""
    print("\nDone.", file=out)
    for line in report.summary():
        print(f"  {line}", file=out)
    if report.skipped:
        print("Skipped:", file=out)
        for reason, count in report.skipped.most_common():
            print(f"  {count:>8,}  {reason}", file=out)


def _printer(out: TextIO) -> Progress:
    """Progress on one line rewritten in place on a terminal; a line per 10% otherwise."""
    interactive = out.isatty()
    shown = [-1]

    async def progress(done: int, total: int, report: ImportReport) -> None:
        percent = 100 * done // total if total else 100
        line = (f"  {done:,}/{total:,} days ({percent}%) · "
                f"{report.messages_imported:,} messages imported")
        if interactive:
            print(f"\r{line}", end="", file=out, flush=True)
        elif percent // 10 != shown[0] // 10 or done == total:
            print(line, file=out, flush=True)
        shown[0] = percent
    return progress
