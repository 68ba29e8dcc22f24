"""Posting messages: numbered under the room's row lock, idempotent per client message id."""

from __future__ import annotations

import re
import uuid

from tortoise.transactions import in_transaction

from app.actions.errors import Conflict, InvalidInput
from app.models import Membership, Message, Room, User
from app.realtime.events import MessageCreated
from app.realtime.publish import publish

CLIENT_MSG_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class _AlreadyPosted(Exception):
    def __init__(self, message: Message) -> None:
        self.message = message


async def create_message(room: Room, author: User, body: str, client_msg_id: str | None,
                         max_chars: int = 10_000) -> Message:
    """Store a message and return it; posting the same client_msg_id again returns the first."""
    body = _clean_body(body, max_chars)
    client_msg_id = _clean_client_msg_id(client_msg_id)
    try:
        async with in_transaction() as conn:
            # The row lock serialises posts to this room, so seq order is commit order and the
            # duplicate check below cannot race another insert of the same client id.
            rows = await conn.execute_query_dict(
                "UPDATE rooms SET last_seq = last_seq + 1, last_message_at = now() "
                "WHERE id = $1 RETURNING last_seq", [room.id])
            existing = await Message.get_or_none(room_id=room.id, client_msg_id=client_msg_id,
                                                 using_db=conn)
            if existing:
                raise _AlreadyPosted(existing)
            seq = rows[0]["last_seq"]
            message = await Message.create(room_id=room.id, author_id=author.id, seq=seq,
                                           client_msg_id=client_msg_id, body=body, using_db=conn)
            await Membership.filter(room_id=room.id, user_id=author.id).using_db(conn).update(
                last_read_seq=seq)
            # NOTIFY inside the transaction: delivered at COMMIT, never before the row is visible.
            await publish(MessageCreated(room_id=room.id, message_id=message.id, seq=seq,
                                         author_id=author.id), using_db=conn)
    except _AlreadyPosted as dup:
        if dup.message.author_id != author.id:
            raise Conflict("That message id belongs to another message.") from None
        return dup.message
    message.author = author
    message.room = room
    return message


def new_client_msg_id() -> str:
    """A fresh id for a composer, so a resubmitted form posts once."""
    return uuid.uuid4().hex


def _clean_body(body: str, max_chars: int) -> str:
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise InvalidInput({"body": "Write a message before sending."})
    if len(body) > max_chars:
        raise InvalidInput({"body": f"Messages can be at most {max_chars:,} characters "
                                    f"(this one has {len(body):,})."})
    return body


def _clean_client_msg_id(client_msg_id: str | None) -> str:
    if not client_msg_id:
        return new_client_msg_id()
    if not CLIENT_MSG_ID.match(client_msg_id):
        raise InvalidInput({"client_msg_id": "The message id is malformed."})
    return client_msg_id
