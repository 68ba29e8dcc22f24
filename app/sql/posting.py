"""The posting statement: one SQL statement posts a message, text or sealed (see
app/actions/message_insert.py for what it does and why; this module is its SQL and its typed
call), the one rule of who is notified of it (NOTIFIED), and which bots it calls
(BOTS_CALLED)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.db import posting
from app.sql import Statement

# Who is notified of a new message, by which channel: the one rule (the statement's `queued`
# writes an outbox row per recipient and channel from it). Extend it here, and only here.
#   who:   every member but the author whose account is active (not deactivated, not a bot)
#          and whose involvement in the room (Membership.involvement) wants the message:
#            - 'everything': every message                 -> kind 'room_message' (or below)
#            - 'mentions': mentioned by name (:mentioned)   -> kind 'mention'
#              or any message of a direct room             -> kind 'direct_message'
#            - 'nothing', 'invisible': none
#   e-mail: not held (one e-mail per room until they visit it), e-mail notifications on, a
#          verified address, and no live tab for the presence grace (`email_offline`).
#   push:  a subscribed device and no live tab (`push_offline`).
# The send-time re-checks (app/mail/recheck.py, app/push/recheck.py) drop rows that no
# longer hold when they are due (read, muted, back online, deleted).
NOTIFIED = """
recipients AS (
    SELECT r.user_id, r.kind,
           r.email_wanted AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.user_id = r.user_id
                                          AND p.heartbeat_at >= now() - :email_offline::interval)
               AS by_email,
           EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = r.user_id)
           AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.user_id = r.user_id
                           AND p.heartbeat_at >= now() - :push_offline::interval) AS by_push
    FROM (SELECT m.user_id,
                 CASE WHEN t.kind = 'direct' THEN 'direct_message'
                      WHEN u.username_key = ANY(:mentioned::text[]) THEN 'mention'
                      ELSE 'room_message' END AS kind,
                 NOT m.email_held AND u.email_notifications AND u.email_verified_at IS NOT NULL
                     AS email_wanted
          FROM target t, memberships m JOIN users u ON u.id = m.user_id
          WHERE m.room_id = :room_id AND m.user_id <> :author_id
            AND u.deactivated_at IS NULL AND NOT u.is_bot
            AND (m.involvement = 'everything'
                 OR (m.involvement = 'mentions'
                     AND (t.kind = 'direct' OR u.username_key = ANY(:mentioned::text[]))))) AS r
    WHERE EXISTS (SELECT 1 FROM inserted)
)"""

# Which bots a message calls (two-way bots, app/bots/): a bot with a URL, in this room, that
# the message @mentions by name, when the author is a person (a bot's answer or API post
# calls no bot, so two bots never talk to each other in a loop). A direct room has no bots.
BOTS_CALLED = """
called_bots AS (
    SELECT b.user_id FROM bots b
    JOIN memberships m ON m.user_id = b.user_id AND m.room_id = :room_id
    JOIN users u ON u.id = b.user_id
    WHERE b.url IS NOT NULL AND u.username_key = ANY(:mentioned::text[])
      AND u.deactivated_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM users a WHERE a.id = :author_id AND a.is_bot)
      AND EXISTS (SELECT 1 FROM inserted)
)"""

# The outbox rows of NOTIFIED and BOTS_CALLED: one per recipient and channel.
QUEUED = """queued AS (
    -- One outbox row per recipient and channel (app/outbox/, sent by app/mail/ and app/push/).
    INSERT INTO deliveries (channel, user_id, kind, status, actor_id, room_id, message_id,
                            attempts, not_before, last_error, created_at)
    SELECT c.channel, r.user_id, r.kind, 'pending', :author_id, :room_id, inserted.id, 0,
           now(), '', now()
    FROM recipients r CROSS JOIN inserted
    JOIN (VALUES ('email'), ('push')) AS c (channel)
      ON (c.channel = 'email' AND r.by_email) OR (c.channel = 'push' AND r.by_push)
    UNION ALL  -- and one 'bot' row per bot to call (BOTS_CALLED; sent by app/bots/)
    SELECT 'bot', b.user_id, 'mention', 'pending', :author_id, :room_id, inserted.id, 0,
           now(), '', now()
    FROM called_bots b CROSS JOIN inserted"""

POST_MESSAGE = Statement("""
WITH target AS (
    SELECT r.kind, r.archived_at, m.id AS membership_id
    FROM rooms r LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = :author_id
    WHERE r.id = :room_id
), earlier AS (
    SELECT id FROM messages WHERE room_id = :room_id AND client_msg_id = :client_msg_id
), quoted AS (
    -- The message replied to (:reply_to, or none): only one of this room that is not deleted.
    SELECT id FROM messages WHERE id = :reply_to::bigint AND room_id = :room_id AND deleted_at IS NULL
), keyed AS (
    -- A sealed message's members and their current keys (the newest each published).
    SELECT m.user_id, u.username,
           (SELECT max(k.id) FROM public_keys k WHERE k.user_id = m.user_id) AS key_id
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.room_id = :room_id AND :envelope::jsonb IS NOT NULL
), sealed AS (
    -- The envelope (:envelope) must name the author's current key and hold one sealed key for
    -- exactly each member's current key: a removed member's key is never written to.
    SELECT CASE
        WHEN :envelope::jsonb IS NULL THEN NULL
        WHEN (SELECT count(*) FROM keyed) <> jsonb_array_length(:envelope::jsonb -> 'keys')
            THEN 'not_sealed_for_each'
        WHEN EXISTS (SELECT 1 FROM keyed WHERE key_id IS NULL) THEN 'missing_keys'
        WHEN (:envelope::jsonb ->> 'sender_key')::int
             IS DISTINCT FROM (SELECT key_id FROM keyed WHERE user_id = :author_id)
            THEN 'sender_key_changed'
        WHEN ARRAY(SELECT key_id FROM keyed ORDER BY 1) <> ARRAY(
                SELECT (e ->> 'key')::int
                FROM jsonb_array_elements(:envelope::jsonb -> 'keys') AS e ORDER BY 1)
            THEN 'stale_keys'
    END AS refusal,
    ARRAY(SELECT username FROM keyed WHERE key_id IS NULL ORDER BY username) AS missing
), refused AS (
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM target WHERE archived_at IS NULL) THEN 'no_room'
        WHEN (SELECT membership_id FROM target) IS NULL THEN 'not_member'
        WHEN (SELECT kind FROM target) = 'direct' AND :envelope::jsonb IS NULL
            THEN 'needs_envelope'
        WHEN (SELECT kind FROM target) <> 'direct' AND :envelope::jsonb IS NOT NULL
            THEN 'not_sealed_here'
        WHEN EXISTS (SELECT 1 FROM earlier) THEN 'duplicate'
        WHEN (SELECT refusal FROM sealed) IS NOT NULL THEN (SELECT refusal FROM sealed)
        WHEN :reply_to::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM quoted) THEN 'bad_reply'
    END AS reason
), numbered AS (
    UPDATE rooms SET last_seq = last_seq + 1, last_message_at = now()
    WHERE id = :room_id AND (SELECT reason FROM refused) IS NULL
    RETURNING last_seq
), inserted AS (
    INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, image_id, created_at,
                          change_seq, reply_to_id, attachment_id, envelope)
    SELECT :room_id, :author_id, last_seq, :client_msg_id, :body, :image_id, now(), 0,
           :reply_to::bigint, :attachment_id::bigint, :envelope::jsonb
    FROM numbered
    -- Checked again now that the room is locked, with a fresh snapshot (migration 0020): a
    -- member or key that changed while the UPDATE waited raises stale_keys (no number taken).
    WHERE :envelope::jsonb IS NULL
       OR sealed_for_current_keys(:room_id, :envelope::jsonb, last_seq)
    RETURNING id, seq, created_at
), read_mark AS (
    UPDATE memberships SET last_read_seq = inserted.seq FROM inserted
    WHERE memberships.id = (SELECT membership_id FROM target)
), """ + NOTIFIED + """, """ + BOTS_CALLED + """, """ + QUEUED + """
), announced AS (
    SELECT pg_notify(:bus_channel, (:announcement::jsonb
                                    || jsonb_build_object('message_id', id, 'seq', seq))::text)
    FROM inserted WHERE :notify::boolean  -- false: announced by publish() after the statement
)
SELECT (SELECT reason FROM refused) AS refusal,
       (SELECT kind FROM target) AS room_kind,
       (SELECT id FROM earlier) AS earlier_id,
       (SELECT missing FROM sealed) AS missing,
       inserted.id, inserted.seq, inserted.created_at,
       (SELECT count(*) FROM announced) AS announced
FROM (SELECT 1) AS one LEFT JOIN inserted ON true
""")


@dataclass(frozen=True)
class PostRow:
    """The statement's one row: why it refused (or None), and what it inserted."""

    refusal: str | None
    room_kind: str | None
    earlier_id: int | None
    missing: list[str]
    id: int | None
    seq: int | None
    created_at: datetime | None


# The same rule for a message written by another statement (a thread reply, app/actions/
# threads.py): `inserted` is that message; :mentioned also holds whoever it counts as a mention
# for (a thread's followers).
NOTIFY_OF_MESSAGE = Statement("""
WITH target AS (SELECT kind FROM rooms WHERE id = :room_id),
inserted AS (SELECT id FROM messages WHERE id = :message_id),
""" + NOTIFIED + """, """ + BOTS_CALLED + """, """ + QUEUED + """
)
SELECT 1 AS queued
""")


async def queue_notifications(conn: Any, *, room_id: int, message_id: int, author_id: int,
                              mentioned: list[str], email_offline: timedelta,
                              push_offline: timedelta) -> None:
    """The outbox rows NOTIFIED and BOTS_CALLED give for a message already written (in
    `conn`'s transaction); `mentioned`: username keys it counts as a mention for."""
    await NOTIFY_OF_MESSAGE.rows(conn, room_id=room_id, message_id=message_id,
                                 author_id=author_id, mentioned=mentioned,
                                 email_offline=email_offline, push_offline=push_offline)


# A sealed message written by another statement (a thread reply): sealed for exactly each
# member's current key, by the author's current key (what POST_MESSAGE's `sealed` checks).
SEALED_FOR_CURRENT_KEYS = Statement("""
SELECT ARRAY(SELECT (SELECT max(k.id) FROM public_keys k WHERE k.user_id = m.user_id)
               FROM memberships m WHERE m.room_id = :room_id ORDER BY 1)
       IS NOT DISTINCT FROM
       ARRAY(SELECT (e ->> 'key')::int FROM jsonb_array_elements(:envelope::jsonb -> 'keys') e
              ORDER BY 1)
       AND (:envelope::jsonb ->> 'sender_key')::int IS NOT DISTINCT FROM
           (SELECT max(k.id) FROM public_keys k WHERE k.user_id = :author_id) AS ok
""")


async def sealed_for_current_keys(conn: Any, *, room_id: int, author_id: int,
                                  envelope: str) -> bool:
    """Whether `envelope` (JSON text) is sealed for the room's members' current keys, by the
    author's current key; run under the room's row lock."""
    rows = await SEALED_FOR_CURRENT_KEYS.rows(conn, room_id=room_id, author_id=author_id,
                                              envelope=envelope)
    return bool(rows[0]["ok"])


async def run_post_message(conn: Any | None, *, room_id: int, author_id: int, client_msg_id: str,
                           body: str, image_id: int | None, attachment_id: int | None,
                           reply_to: int | None, envelope: str | None, mentioned: list[str],
                           email_offline: timedelta, push_offline: timedelta,
                           bus_channel: str, announcement: str, notify: bool) -> PostRow:
    """One round trip. `envelope`: the sealed envelope as JSON text (None for text);
    `email_offline` / `push_offline`: how long without a live tab makes someone offline for
    each channel; `notify`: pg_notify `announcement` on `bus_channel` in the statement.

    `conn` None: on the posting pool (app/db.py: its connections keep the statement's plan),
    as its own transaction; else on `conn`, inside its transaction.
    """
    if conn is None:
        async with posting() as pooled:
            return await run_post_message(
                pooled, room_id=room_id, author_id=author_id, client_msg_id=client_msg_id,
                body=body, image_id=image_id, attachment_id=attachment_id, reply_to=reply_to,
                envelope=envelope, mentioned=mentioned, email_offline=email_offline,
                push_offline=push_offline, bus_channel=bus_channel, announcement=announcement,
                notify=notify)
    row = (await POST_MESSAGE.rows(
        conn, room_id=room_id, author_id=author_id, client_msg_id=client_msg_id, body=body,
        image_id=image_id, attachment_id=attachment_id, reply_to=reply_to, envelope=envelope,
        mentioned=mentioned, email_offline=email_offline, push_offline=push_offline,
        bus_channel=bus_channel, announcement=announcement, notify=notify))[0]
    return PostRow(refusal=row["refusal"], room_kind=row["room_kind"],
                   earlier_id=row["earlier_id"], missing=list(row["missing"] or []),
                   id=row["id"], seq=row["seq"], created_at=row["created_at"])
