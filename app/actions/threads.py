"""Threads: replying in the thread of a room's top-level message, and following threads.

A reply is a Message with `thread_root_id`; it takes the same table, outbox and events as any
message. Only in its thread, it has no room seq (its seq is minus its id, see
app/models/message.py) and the room's timeline and unread counts pass it by; "also send to the
room" gives it the room's next seq like any message. Each reply re-renders its root's summary
("3 replies · last …") for everyone in the room, through the root's change (MessageChanged).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.actions import envelopes
from app.actions.message_changes import record_change
from app.actions.messages import KeyChanged, _AlreadyPosted, _clean_client_msg_id, clean_body
from app.errors import Conflict, NotFound
from app.mentions import mentioned_names
from app.models import Membership, Message, Room, ThreadFollow, User
from app.queries.presence import STALE_AFTER
from app.realtime.events import MessageCreated, ThreadsChanged
from app.realtime.publish import in_transaction, publish
from app.sql.posting import queue_notifications, sealed_for_current_keys


async def find_thread_root(room: Room, seq: int) -> Message:
    """The root of a thread: a top-level message of `room` at `seq`; NotFound otherwise."""
    root = await Message.get_or_none(room_id=room.id, seq=seq, thread_root_id=None) \
        if 0 < seq < 2 ** 63 else None
    if root is None:
        raise NotFound("There is no such message in this room to reply to in a thread.")
    return root


async def post_thread_reply(room: Room, root: Message, author: User, *, body: str,
                            envelope: str | None, client_msg_id: str | None,
                            also_in_room: bool, max_chars: int, grace: timedelta) -> Message:
    """Store a reply in `root`'s thread (a direct room's sealed like its other messages).

    The same client_msg_id again returns the first copy. Refused: a deleted root (Conflict),
    an empty or too long text, a stale envelope (KeyChanged, as in the room's composer).
    """
    client_msg_id = _clean_client_msg_id(client_msg_id)
    sealed = None
    if room.is_direct:
        sealed = envelopes.sealed_envelope(envelope)
        body = ""
    else:
        body = clean_body(body, max_chars)
    try:
        return await _insert_reply(room, root, author, client_msg_id, body, sealed,
                                   also_in_room, grace)
    except _AlreadyPosted as dup:
        if dup.message.author_id != author.id or dup.message.thread_root_id != root.id:
            raise Conflict("That message id belongs to another message.", field="body") from None
        await dup.message.fetch_related("author")
        return dup.message


async def follow_thread(root: Message, user: User) -> None:
    """Follow a thread (again): its replies count for `user` from now on, as read up to now."""
    async with in_transaction() as conn:
        await _follow(conn, root.id, [user.id], read_up_to=await _newest_reply_id(root, conn))
        await publish(ThreadsChanged(user_ids=(user.id,)), using_db=conn)


async def unfollow_thread(root: Message, user: User) -> None:
    """Stop following a thread (replying or being mentioned in it follows it again)."""
    async with in_transaction() as conn:
        await ThreadFollow.filter(root_id=root.id, user_id=user.id).using_db(conn).delete()
        await publish(ThreadsChanged(user_ids=(user.id,)), using_db=conn)


async def mark_thread_read(root: Message, user: User) -> None:
    """Opening a thread reads it: its unread replies stop counting under "Threads"."""
    newest = await _newest_reply_id(root, None)
    updated = await ThreadFollow.filter(root_id=root.id, user_id=user.id,
                                        last_read_id__lt=newest).update(last_read_id=newest)
    if updated:
        await publish(ThreadsChanged(user_ids=(user.id,)))


async def _insert_reply(room: Room, root: Message, author: User, client_msg_id: str, body: str,
                        sealed: dict[str, Any] | None, also_in_room: bool,
                        grace: timedelta) -> Message:
    async with in_transaction() as conn:
        # The room's row lock serialises this with every post, edit and reaction of the room:
        # the room seq (when also sent there) and the root's change number follow commit order.
        rows = await conn.execute_query_dict(
            "UPDATE rooms SET last_seq = last_seq + $2::int, "
            "last_message_at = CASE WHEN $2::int = 1 THEN now() ELSE last_message_at END "
            "WHERE id = $1 RETURNING last_seq", [room.id, 1 if also_in_room else 0])
        existing = await Message.get_or_none(room_id=room.id, client_msg_id=client_msg_id,
                                             using_db=conn)
        if existing:
            raise _AlreadyPosted(existing)
        current_root = await Message.get(id=root.id, using_db=conn)
        if current_root.deleted_at is not None:
            raise Conflict("This message was deleted: its thread takes no more replies.",
                           field="body")
        if sealed is not None and not await sealed_for_current_keys(
                conn, room_id=room.id, author_id=author.id, envelope=json.dumps(sealed)):
            raise KeyChanged("The members of this conversation changed, or one of them has a "
                             "new key. Compare the safety numbers before sending.")
        message_id = (await conn.execute_query_dict(
            "SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS id"))[0]["id"]
        seq = rows[0]["last_seq"] if also_in_room else -message_id
        message = await Message.create(
            id=message_id, room_id=room.id, author_id=author.id, seq=seq,
            client_msg_id=client_msg_id, body=body, envelope=sealed,
            thread_root_id=root.id, also_in_room=also_in_room, using_db=conn)
        if also_in_room:
            await Membership.filter(room_id=room.id, user_id=author.id).using_db(conn) \
                .update(last_read_seq=seq)
        followers = await _followers_after_reply(room, current_root, author, body, message,
                                                 conn)
        # The one rule of who is notified (app/sql/posting.py), with the thread's followers
        # counted as mentioned.
        await queue_notifications(
            conn, room_id=room.id, message_id=message.id, author_id=author.id,
            mentioned=sorted(mentioned_names(body) | await _username_keys(followers, conn)),
            email_offline=STALE_AFTER + grace, push_offline=STALE_AFTER)
        await publish(MessageCreated(room_id=room.id, message_id=message.id, seq=seq,
                                     author_id=author.id), using_db=conn)
        await record_change(current_root, conn)  # its summary changed: re-rendered live
        await publish(ThreadsChanged(user_ids=tuple(sorted(followers | {author.id}))),
                      using_db=conn)
    message.author = author
    message.room = room
    return message


async def _username_keys(user_ids: set[int], conn: BaseDBAsyncClient) -> set[str]:
    keys = await User.filter(id__in=sorted(user_ids)).using_db(conn) \
        .values_list("username_key", flat=True) if user_ids else []
    return {str(key) for key in keys}


async def _followers_after_reply(room: Room, root: Message, author: User, body: str,
                                 reply: Message, conn: BaseDBAsyncClient) -> set[int]:
    """Who follows the thread once `reply` is in it (the author excluded): its old followers,
    plus the root's author and the members the reply mentions, who follow it from now on.
    The author follows it too, with this reply read."""
    names = mentioned_names(body)
    mentioned = [m.user_id for m in await Membership.filter(
        room_id=room.id, user__username_key__in=names).using_db(conn).only("id", "user_id")] \
        if names else []
    await _follow(conn, root.id, [root.author_id, *mentioned])
    await _follow(conn, root.id, [author.id], read_up_to=reply.id)
    followers = await ThreadFollow.filter(root_id=root.id).exclude(user_id=author.id) \
        .using_db(conn).only("id", "user_id")
    return {f.user_id for f in followers}


async def _follow(conn: BaseDBAsyncClient, root_id: int, user_ids: list[int],
                  read_up_to: int | None = None) -> None:
    """Make these users follow the thread; `read_up_to` also marks it read that far for them."""
    if not user_ids:
        return
    await conn.execute_query(
        "INSERT INTO thread_follows (user_id, root_id, last_read_id, created_at) "
        "SELECT u, $2, coalesce($3::bigint, 0), now() FROM unnest($1::int[]) AS u "
        "ON CONFLICT (user_id, root_id) DO UPDATE SET last_read_id = "
        "greatest(thread_follows.last_read_id, coalesce($3::bigint, 0))",
        [sorted(set(user_ids)), root_id, read_up_to])


async def _newest_reply_id(root: Message, conn: BaseDBAsyncClient | None) -> int:
    query = Message.filter(thread_root_id=root.id).order_by("-id").only("id")
    newest = await (query.using_db(conn) if conn else query).first()
    return newest.id if newest else 0
