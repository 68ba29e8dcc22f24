"""Background loops that drain an outbox table: poll, do everything due, sleep, repeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


async def drain_forever(step: Callable[[], Awaitable[bool]], poll_seconds: Callable[[], float],
                        log: logging.Logger) -> None:
    """Call `step` until it finds nothing due, sleep, repeat; errors are logged, never fatal."""
    while True:
        try:
            while await step():
                pass
        except Exception:
            log.exception("a pass over the outbox failed; trying again after the poll interval")
        await asyncio.sleep(poll_seconds())


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a loop and wait for it; work cut off mid-way rolls back and is done again later."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
