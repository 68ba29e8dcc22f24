"""Posting a message in one database round trip: one statement checks membership (and, in a
direct room, the sealed envelope against the members' current keys), numbers, deduplicates,
checks the message replied to, inserts, marks it read for its author, writes the e-mail and
push outbox rows (and a 'bot' row per @mentioned bot to call, BOTS_CALLED) and NOTIFYs. It
is the whole of a post, text or sealed: the request does not look the room and membership up
first (app/actions/messages.py).

A sealed message's keys are checked twice: in the statement's snapshot (to say exactly what is
wrong), and once more after the room's lock is held, by `sealed_for_current_keys` (a PL/pgSQL
function of migration 0020 whose fresh snapshot sees a member or key that changed while the
statement waited for the lock; it raises, and the post comes back as STALE_KEYS).

A post the statement refuses comes back with its reason (`Refusal`: not a member, a retry, a
reply to a message that is not there, a direct room without an envelope, stale keys, ...), so
the caller says why without asking the database again.

It is one statement, so it is one transaction: the NOTIFY is delivered only when everything
it announces is committed. `seq` is taken under the room's row lock (the UPDATE), so seq order
is commit order; a refused post takes no number. A concurrent post with the same client id
that commits after this statement's snapshot makes the INSERT fail on the (room,
client_msg_id) unique index; the caller then returns the message that won.

Who is notified is decided in one place, the `recipients` CTE (NOTIFIED, app/sql/posting.py).
The SQL and its typed call are app/sql/posting.py.

On a bus that is not PostgreSQL (BUS_URL=redis://...) the statement leaves its pg_notify out
and `post_message` publishes the event after it: once the statement has committed, or, inside
`app.realtime.publish.in_transaction()`, once that transaction has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from asyncpg.exceptions import RaiseError
from tortoise.backends.base.client import BaseDBAsyncClient

from app.queries.presence import STALE_AFTER
from app.realtime.events import MessageCreated
from app.realtime.publish import BUS_CHANNEL, notifies_in_sql, publish
from app.sql.posting import run_post_message


class Refusal(StrEnum):
    """Why the statement did not post (checked in this order)."""

    NO_ROOM = "no_room"  # no such room, or it was archived
    NOT_MEMBER = "not_member"
    NEEDS_ENVELOPE = "needs_envelope"  # a direct room takes only sealed messages
    NOT_SEALED_HERE = "not_sealed_here"  # an envelope for a room that is not direct
    DUPLICATE = "duplicate"  # this client id was posted already: `earlier_id`
    NOT_SEALED_FOR_EACH = "not_sealed_for_each"  # not one sealed key per member
    MISSING_KEYS = "missing_keys"  # members with no key yet: `missing`
    SENDER_KEY_CHANGED = "sender_key_changed"  # not the author's current key
    STALE_KEYS = "stale_keys"  # sealed for keys that are not the members' current ones
    BAD_REPLY = "bad_reply"  # the message replied to is not in this room, or deleted


@dataclass(frozen=True)
class Posted:
    """What the statement did: the new message's id, seq and time, or why it did not post."""

    refusal: Refusal | None
    room_kind: str | None = None  # the room's kind, when there is such a room
    earlier_id: int | None = None  # the message this client id already posted (DUPLICATE)
    missing: list[str] = field(default_factory=list)  # members with no key (MISSING_KEYS)
    id: int | None = None
    seq: int | None = None
    created_at: datetime | None = None


async def post_message(conn: BaseDBAsyncClient | None, room_id: int, author_id: int,
                       client_msg_id: str, body: str, image_id: int | None,
                       mentioned: set[str], presence_grace: timedelta,
                       reply_to: int | None = None, attachment_id: int | None = None,
                       envelope: dict[str, Any] | None = None) -> Posted:
    """Run the statement: one round trip, on the posting pool as its own transaction when
    `conn` is None, else on `conn` (in its transaction).

    `envelope`: a direct room's sealed message (app/actions/envelopes.py checked its shape);
    the statement checks it against the members' keys.
    """
    announcement = json.dumps({"t": MessageCreated.kind, "room_id": room_id,
                               "author_id": author_id})
    notify = notifies_in_sql()
    try:
        row = await run_post_message(
            conn, room_id=room_id, author_id=author_id, client_msg_id=client_msg_id, body=body,
            image_id=image_id, attachment_id=attachment_id, reply_to=reply_to,
            envelope=None if envelope is None else json.dumps(envelope),
            mentioned=sorted(mentioned), email_offline=STALE_AFTER + presence_grace,
            push_offline=STALE_AFTER, bus_channel=BUS_CHANNEL, announcement=announcement,
            notify=notify)
    except RaiseError as exc:  # the check made under the room's lock (migration 0020)
        if exc.message != Refusal.STALE_KEYS:
            raise
        return Posted(refusal=Refusal.STALE_KEYS)
    if not notify and row.id is not None:
        assert row.seq is not None, "an inserted message has its number"
        await publish(MessageCreated(room_id=room_id, message_id=row.id, seq=row.seq,
                                     author_id=author_id), using_db=conn)
    return Posted(refusal=Refusal(row.refusal) if row.refusal else None,
                  room_kind=row.room_kind, earlier_id=row.earlier_id, missing=row.missing,
                  id=row.id, seq=row.seq, created_at=row.created_at)
