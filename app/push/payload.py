"""What a push says: JSON the service worker shows; never the text of an encrypted message."""

from __future__ import annotations

import json

from app.models import Delivery, NotificationKind
from app.outbox.text import excerpt, without_text


async def push_payload(row: Delivery) -> bytes:
    """{title, body, url, tag} for the service worker (`tag` folds repeats into one notice)."""
    await row.fetch_related("actor", "room", "message", "message__attachment")
    actor = row.actor.username if row.actor else "someone"
    room, message = row.room, row.message
    assert room is not None and message is not None, "a push is about a message in a room"
    where = {"url": f"/rooms/{row.room_id}", "tag": f"room-{row.room_id}"}
    if room.is_direct or row.kind == NotificationKind.DIRECT_MESSAGE:
        # The server holds only ciphertext, and says no more than who wrote.
        content = {"title": f"{actor} · Parley", "body": f"New private message from {actor}",
                   **where}
    else:
        text = excerpt(message.body) if message.body else without_text(message)
        content = {"title": f"{actor} mentioned you in #{room.name}", "body": text, **where}
    return json.dumps(content).encode()
