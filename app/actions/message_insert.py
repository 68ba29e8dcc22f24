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

Who is notified is decided in one place, the `recipients` CTE (see NOTIFIED below).

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


# Who is notified of a new message, by which channel: the one rule (the statement's `queued`
# writes an outbox row per recipient and channel from it). Extend it here, and only here.
#   who:   every member but the author, whose room setting (email_mode) is not 'none', whose
#          account is active (not deactivated, not a bot), and who is
#            - any member of a direct room             -> kind 'direct_message'
#            - mentioned by name ($mentioned)           -> kind 'mention'
#            - in a room they want every message of    -> kind 'room_message' (e-mail only)
#   e-mail: not held (one e-mail per room until they visit it), e-mail notifications on, a
#          verified address, and no live tab for the presence grace ($email_offline).
#   push:  a 'mention' or 'direct_message', a subscribed device, and no live tab
#          ($push_offline).
# The send-time re-checks (app/mail/recheck.py, app/push/recheck.py) drop rows that no
# longer hold when they are due (read, muted, back online, deleted).
NOTIFIED = """
recipients AS (
    SELECT r.user_id, r.kind,
           r.email_wanted AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.user_id = r.user_id
                                          AND p.heartbeat_at >= now() - $7::interval)
               AS by_email,
           r.kind <> 'room_message'
           AND EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = r.user_id)
           AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.user_id = r.user_id
                           AND p.heartbeat_at >= now() - $10::interval) AS by_push
    FROM (SELECT m.user_id,
                 CASE WHEN t.kind = 'direct' THEN 'direct_message'
                      WHEN u.username_key = ANY($6::text[]) THEN 'mention'
                      ELSE 'room_message' END AS kind,
                 NOT m.email_held AND u.email_notifications AND u.email_verified_at IS NOT NULL
                     AS email_wanted
          FROM target t, memberships m JOIN users u ON u.id = m.user_id
          WHERE m.room_id = $1 AND m.user_id <> $2 AND m.email_mode <> 'none'
            AND u.deactivated_at IS NULL AND NOT u.is_bot
            AND (t.kind = 'direct' OR u.username_key = ANY($6::text[])
                 OR m.email_mode = 'all')) AS r
    WHERE EXISTS (SELECT 1 FROM inserted)
)"""

# Which bots a message calls (two-way bots, app/bots/): a bot with a URL, in this room, that
# the message @mentions by name, when the author is a person (a bot's answer or API post
# calls no bot, so two bots never talk to each other in a loop). A direct room has no bots.
BOTS_CALLED = """
called_bots AS (
    SELECT b.user_id FROM bots b
    JOIN memberships m ON m.user_id = b.user_id AND m.room_id = $1
    JOIN users u ON u.id = b.user_id
    WHERE b.url IS NOT NULL AND u.username_key = ANY($6::text[]) AND u.deactivated_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM users a WHERE a.id = $2 AND a.is_bot)
      AND EXISTS (SELECT 1 FROM inserted)
)"""

POST_MESSAGE = """
WITH target AS (
    SELECT r.kind, r.archived_at, m.id AS membership_id
    FROM rooms r LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = $2
    WHERE r.id = $1
), earlier AS (
    SELECT id FROM messages WHERE room_id = $1 AND client_msg_id = $3
), quoted AS (
    -- The message replied to ($12, or none): only one of this room that is not deleted.
    SELECT id FROM messages WHERE id = $12::bigint AND room_id = $1 AND deleted_at IS NULL
), keyed AS (
    -- A sealed message's members and their current keys (the newest each published).
    SELECT m.user_id, u.username,
           (SELECT max(k.id) FROM public_keys k WHERE k.user_id = m.user_id) AS key_id
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.room_id = $1 AND $14::jsonb IS NOT NULL
), sealed AS (
    -- The envelope ($14) must name the author's current key and hold one sealed key for
    -- exactly each member's current key: a removed member's key is never written to.
    SELECT CASE
        WHEN $14::jsonb IS NULL THEN NULL
        WHEN (SELECT count(*) FROM keyed) <> jsonb_array_length($14::jsonb -> 'keys')
            THEN 'not_sealed_for_each'
        WHEN EXISTS (SELECT 1 FROM keyed WHERE key_id IS NULL) THEN 'missing_keys'
        WHEN ($14::jsonb ->> 'sender_key')::int
             IS DISTINCT FROM (SELECT key_id FROM keyed WHERE user_id = $2)
            THEN 'sender_key_changed'
        WHEN ARRAY(SELECT key_id FROM keyed ORDER BY 1) <> ARRAY(
                SELECT (e ->> 'key')::int
                FROM jsonb_array_elements($14::jsonb -> 'keys') AS e ORDER BY 1)
            THEN 'stale_keys'
    END AS refusal,
    ARRAY(SELECT username FROM keyed WHERE key_id IS NULL ORDER BY username) AS missing
), refused AS (
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM target WHERE archived_at IS NULL) THEN 'no_room'
        WHEN (SELECT membership_id FROM target) IS NULL THEN 'not_member'
        WHEN (SELECT kind FROM target) = 'direct' AND $14::jsonb IS NULL
            THEN 'needs_envelope'
        WHEN (SELECT kind FROM target) <> 'direct' AND $14::jsonb IS NOT NULL
            THEN 'not_sealed_here'
        WHEN EXISTS (SELECT 1 FROM earlier) THEN 'duplicate'
        WHEN (SELECT refusal FROM sealed) IS NOT NULL THEN (SELECT refusal FROM sealed)
        WHEN $12::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM quoted) THEN 'bad_reply'
    END AS reason
), numbered AS (
    UPDATE rooms SET last_seq = last_seq + 1, last_message_at = now()
    WHERE id = $1 AND (SELECT reason FROM refused) IS NULL
    RETURNING last_seq
), inserted AS (
    INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, image_id, created_at,
                          change_seq, reply_to_id, attachment_id, envelope)
    SELECT $1, $2, last_seq, $3, $4, $5, now(), 0, $12::bigint, $13::bigint, $14::jsonb
    FROM numbered
    -- Checked again now that the room is locked, with a fresh snapshot (migration 0020): a
    -- member or key that changed while the UPDATE waited raises stale_keys (no number taken).
    WHERE $14::jsonb IS NULL OR sealed_for_current_keys($1, $14::jsonb, last_seq)
    RETURNING id, seq, created_at
), read_mark AS (
    UPDATE memberships SET last_read_seq = inserted.seq FROM inserted
    WHERE memberships.id = (SELECT membership_id FROM target)
), """ + NOTIFIED + """, """ + BOTS_CALLED + """, queued AS (
    -- One outbox row per recipient and channel (app/outbox/, sent by app/mail/ and app/push/).
    INSERT INTO deliveries (channel, user_id, kind, status, actor_id, room_id, message_id,
                            attempts, not_before, last_error, created_at)
    SELECT c.channel, r.user_id, r.kind, 'pending', $2, $1, inserted.id, 0, now(), '', now()
    FROM recipients r CROSS JOIN inserted
    JOIN (VALUES ('email'), ('push')) AS c (channel)
      ON (c.channel = 'email' AND r.by_email) OR (c.channel = 'push' AND r.by_push)
    UNION ALL  -- and one 'bot' row per bot to call (BOTS_CALLED; sent by app/bots/)
    SELECT 'bot', b.user_id, 'mention', 'pending', $2, $1, inserted.id, 0, now(), '', now()
    FROM called_bots b CROSS JOIN inserted
), announced AS (
    SELECT pg_notify($8, ($9::jsonb || jsonb_build_object('message_id', id, 'seq', seq))::text)
    FROM inserted WHERE $11::boolean  -- false: announced by publish() after the statement
)
SELECT (SELECT reason FROM refused) AS refusal,
       (SELECT kind FROM target) AS room_kind,
       (SELECT id FROM earlier) AS earlier_id,
       (SELECT missing FROM sealed) AS missing,
       inserted.id, inserted.seq, inserted.created_at,
       (SELECT count(*) FROM announced) AS announced
FROM (SELECT 1) AS one LEFT JOIN inserted ON true
"""


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


async def post_message(conn: BaseDBAsyncClient, room_id: int, author_id: int,
                       client_msg_id: str, body: str, image_id: int | None,
                       mentioned: set[str], presence_grace: timedelta,
                       reply_to: int | None = None, attachment_id: int | None = None,
                       envelope: dict[str, Any] | None = None) -> Posted:
    """Run the statement (one round trip, its own transaction unless `conn` is in one).

    `envelope`: a direct room's sealed message (app/actions/envelopes.py checked its shape);
    the statement checks it against the members' keys.
    """
    announcement = json.dumps({"t": MessageCreated.kind, "room_id": room_id,
                               "author_id": author_id})
    notify = notifies_in_sql()
    try:
        rows = await conn.execute_query_dict(POST_MESSAGE, [
            room_id, author_id, client_msg_id, body, image_id, sorted(mentioned),
            STALE_AFTER + presence_grace, BUS_CHANNEL, announcement, STALE_AFTER, notify,
            reply_to, attachment_id, None if envelope is None else json.dumps(envelope)])
    except RaiseError as exc:  # the check made under the room's lock (migration 0020)
        if exc.message != Refusal.STALE_KEYS:
            raise
        return Posted(refusal=Refusal.STALE_KEYS)
    row: dict[str, Any] = rows[0]
    if not notify and row["id"] is not None:
        await publish(MessageCreated(room_id=room_id, message_id=row["id"], seq=row["seq"],
                                     author_id=author_id), using_db=conn)
    return Posted(refusal=Refusal(row["refusal"]) if row["refusal"] else None,
                  room_kind=row["room_kind"], earlier_id=row["earlier_id"],
                  missing=list(row["missing"] or []), id=row["id"], seq=row["seq"],
                  created_at=row["created_at"])
