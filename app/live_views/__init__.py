"""What each bus event looks like on a socket: the table the live transport renders by.

app/realtime/ routes an event to the sockets of its audience; the view registered here for
the event's type loads what it needs (once per batch) and pushes the fragments. Fragments are
viewer-independent and rendered once per process; only what differs per socket (an unread
badge, who else is typing) is chosen per connection.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any

from quart import Quart

from app.live_views import accounts, keys, messages, presence, rooms, threads, typing
from app.live_views.state import TYPING_TICK, expire_typing
from app.realtime.dispatch import Dispatcher, View, ViewTable
from app.realtime.events import (
    AccountChanged,
    InvitationsChanged,
    KeyPublished,
    MembersChanged,
    MembershipChanged,
    MessageChanged,
    MessageCreated,
    PresenceChanged,
    RoomRead,
    ThreadsChanged,
    Typing,
)
from app.realtime.runtime import Job

VIEWS: ViewTable = {
    MessageCreated: View(messages.message_created, load=messages.load_messages),
    MessageChanged: View(messages.message_changed),
    Typing: View(typing.room_typing),
    RoomRead: View(rooms.room_read),
    MembershipChanged: View(rooms.membership_changed),
    MembersChanged: View(rooms.members_changed),
    InvitationsChanged: View(rooms.invitations_changed),
    KeyPublished: View(keys.key_published),
    AccountChanged: View(accounts.account_changed),
    PresenceChanged: View(presence.presence_changed),
    ThreadsChanged: View(threads.threads_changed),
}


def fragment_context(app: Quart) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """What views render in: the app's context (templates, URL map), never a request's."""
    return app.app_context


def view_jobs(dispatcher: Dispatcher) -> list[Job]:
    """The views' own loop: typing notices whose pings stopped are taken down."""
    return [(TYPING_TICK, partial(expire_typing, dispatcher))]
