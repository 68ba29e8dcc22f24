"""An account changed: every process forgets its cached sessions; signed out, its sockets close."""

from __future__ import annotations

from app.auth import session_cache
from app.live_views.state import Live, Socket
from app.realtime.close_codes import CLOSE_POLICY
from app.realtime.events import AccountChanged


async def account_changed(event: AccountChanged, conns: list[Socket], live: Live,
                          _: None) -> None:
    session_cache().forget_user(event.user_id)
    if event.signed_out:
        for conn in conns:
            if event.kept_session and conn.session_digest == event.kept_session:
                continue  # the session that changed the password stays signed in
            conn.close(CLOSE_POLICY)  # the page's reconnect is refused until they log in again
