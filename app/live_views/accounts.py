"""A closed account on screen: its sockets are shut at once, on every process."""

from __future__ import annotations

from app.realtime.connections import CLOSE_POLICY_VIOLATION, Connection
from app.realtime.dispatch import Live
from app.realtime.events import AccountClosed


async def account_closed(event: AccountClosed, conns: list[Connection], live: Live,
                         _: None) -> None:
    """1008 tells the page not to reconnect; its next request finds the session gone."""
    for conn in conns:
        conn.close(CLOSE_POLICY_VIOLATION)
