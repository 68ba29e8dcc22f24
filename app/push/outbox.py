"""Deciding, with the e-mail outbox, who is owed a push: subscribed devices, no live tab."""

from __future__ import annotations

from typing import Any

from app.models import NotificationKind, PushDelivery, PushSubscription
from app.queries.presence import is_online

# A room message is pushed to members involved in everything (the caller checks who is).
PUSHED_KINDS = (NotificationKind.MENTION, NotificationKind.DIRECT_MESSAGE,
                NotificationKind.ROOM_MESSAGE)


async def enqueue_push(user_id: int, kind: NotificationKind, conn: Any, **about: Any) -> None:
    """A push row for `user_id` if a device of theirs is subscribed and no tab of theirs is open.

    `about` names what it is about (actor_id, room_id, message_id, ...), as the e-mail row does.
    """
    if kind not in PUSHED_KINDS:
        return
    if not await PushSubscription.filter(user_id=user_id).using_db(conn).exists():
        return
    if await is_online(user_id):  # a live tab shows it (and its browser notification)
        return
    await PushDelivery.create(user_id=user_id, kind=kind, using_db=conn, **about)
