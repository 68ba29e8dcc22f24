"""Posting a message in one database round trip: one statement checks membership (and that
the room takes plain text: not a direct room, whose messages are sealed), numbers,
deduplicates, checks the message replied to, inserts, marks it read for its author, writes
the e-mail and push outbox rows and NOTIFYs. It is the whole of the common post: the request
does not look the room and membership up first (app/actions/messages.py post_text).

It is one statement, so it is one transaction: the NOTIFY is delivered only when everything
it announces is committed. `seq` is taken under the room's row lock (the UPDATE), so seq order
is commit order. A concurrent post with the same client id that commits after this statement's
snapshot makes the INSERT fail on the (room, client_msg_id) unique index; the caller then
returns the message that won.

On a bus that is not PostgreSQL (BUS_URL=redis://...) the statement leaves its pg_notify out
and `post_message` publishes the event after it: once the statement has committed, or, inside
`app.realtime.publish.in_transaction()`, once that transaction has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.queries.presence import STALE_AFTER
from app.realtime.events import MessageCreated
from app.realtime.publish import BUS_CHANNEL, notifies_in_sql, publish

POST_MESSAGE = """
WITH target AS (
    SELECT r.kind, m.id AS membership_id
    FROM rooms r LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = $2
    WHERE r.id = $1 AND r.archived_at IS NULL
), earlier AS (
    SELECT id FROM messages WHERE room_id = $1 AND client_msg_id = $3
), quoted AS (
    -- The message replied to ($12, or none): only one of this room that is not deleted.
    SELECT id FROM messages WHERE id = $12::bigint AND room_id = $1 AND deleted_at IS NULL
), numbered AS (
    UPDATE rooms SET last_seq = last_seq + 1, last_message_at = now()
    WHERE id = $1 AND EXISTS (SELECT 1 FROM target WHERE membership_id IS NOT NULL
                                                       AND kind <> 'direct')
      AND NOT EXISTS (SELECT 1 FROM earlier)
      AND ($12::bigint IS NULL OR EXISTS (SELECT 1 FROM quoted))
    RETURNING last_seq
), inserted AS (
    INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, image_id, created_at,
                          change_seq, reply_to_id, attachment_id)
    SELECT $1, $2, last_seq, $3, $4, $5, now(), 0, $12::bigint, $13::bigint FROM numbered
    RETURNING id, seq, created_at
), read_mark AS (
    UPDATE memberships SET last_read_seq = inserted.seq FROM inserted
    WHERE memberships.id = (SELECT membership_id FROM target)
), outbox AS (
    -- Offline members whose involvement wants this message (everything, or mentions and
    -- mentioned); only active users with a confirmed address (the rule of app/mail/outbox.py).
    INSERT INTO notifications (user_id, kind, status, actor_id, room_id, message_id, attempts,
                               not_before, last_error, created_at)
    SELECT m.user_id,
           CASE WHEN u.username_key = ANY($6::text[]) THEN 'mention' ELSE 'room_message' END,
           'pending', $2, $1, inserted.id, 0, now(), '', now()
    FROM inserted, memberships m JOIN users u ON u.id = m.user_id
    WHERE m.room_id = $1 AND m.user_id <> $2 AND NOT m.email_held AND u.email_notifications
      AND u.email_verified_at IS NOT NULL AND u.deactivated_at IS NULL
      AND (m.involvement = 'everything' OR (m.involvement = 'mentions'
                                            AND u.username_key = ANY($6::text[])))
      AND NOT EXISTS (SELECT 1 FROM presence p
                      WHERE p.user_id = m.user_id AND p.heartbeat_at >= now() - $7::interval)
), pushes AS (
    -- Members whose involvement wants it, with a subscribed device and no live tab, are owed
    -- a push (app/push/); the same rule as app/push/outbox.py's enqueue_push, which the
    -- other paths use.
    INSERT INTO push_deliveries (user_id, kind, status, actor_id, room_id, message_id, attempts,
                                 not_before, last_error, created_at)
    SELECT m.user_id,
           CASE WHEN u.username_key = ANY($6::text[]) THEN 'mention' ELSE 'room_message' END,
           'pending', $2, $1, inserted.id, 0, now(), '', now()
    FROM inserted, memberships m JOIN users u ON u.id = m.user_id
    WHERE m.room_id = $1 AND m.user_id <> $2 AND u.deactivated_at IS NULL
      AND (m.involvement = 'everything' OR (m.involvement = 'mentions'
                                            AND u.username_key = ANY($6::text[])))
      AND EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = m.user_id)
      AND NOT EXISTS (SELECT 1 FROM presence p
                      WHERE p.user_id = m.user_id AND p.heartbeat_at >= now() - $10::interval)
), announced AS (
    SELECT pg_notify($8, ($9::jsonb || jsonb_build_object('message_id', id, 'seq', seq))::text)
    FROM inserted WHERE $11::boolean  -- false: announced by publish() after the statement
)
SELECT (SELECT membership_id FROM target) AS membership_id,
       (SELECT id FROM earlier) AS earlier_id,
       (SELECT id FROM quoted) AS quoted_id,
       inserted.id, inserted.seq, inserted.created_at,
       (SELECT count(*) FROM announced) AS announced
FROM (SELECT 1) AS one LEFT JOIN inserted ON true
"""


@dataclass(frozen=True)
class Posted:
    """What the statement found and did."""

    member: bool
    earlier_id: int | None  # the message this client id already posted
    quoted_id: int | None  # the message replied to, when it may be (same room, not deleted)
    id: int | None = None
    seq: int | None = None
    created_at: datetime | None = None


async def post_message(conn: BaseDBAsyncClient, room_id: int, author_id: int,
                       client_msg_id: str, body: str, image_id: int | None,
                       mentioned: set[str], presence_grace: timedelta,
                       reply_to: int | None = None, attachment_id: int | None = None) -> Posted:
    """Run the statement (one round trip, its own transaction unless `conn` is in one)."""
    announcement = json.dumps({"t": MessageCreated.kind, "room_id": room_id,
                               "author_id": author_id})
    notify = notifies_in_sql()
    rows = await conn.execute_query_dict(POST_MESSAGE, [
        room_id, author_id, client_msg_id, body, image_id, sorted(mentioned),
        STALE_AFTER + presence_grace, BUS_CHANNEL, announcement, STALE_AFTER, notify, reply_to,
        attachment_id])
    row: dict[str, Any] = rows[0]
    if not notify and row["id"] is not None:
        await publish(MessageCreated(room_id=room_id, message_id=row["id"], seq=row["seq"],
                                     author_id=author_id), using_db=conn)
    member = row["membership_id"] is not None
    return Posted(member=member, earlier_id=row["earlier_id"],
                  quoted_id=row["quoted_id"], id=row["id"], seq=row["seq"],
                  created_at=row["created_at"])
