"""Posting messages: members only, numbered under the room's row lock, idempotent per client
message id (the statement itself is in app/actions/message_insert.py)."""

from __future__ import annotations

import re
import uuid

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.actions.errors import Conflict, InvalidInput
from app.actions.message_insert import Posted, post_message
from app.mail import config as mail_config
from app.media.images import ImageRejected
from app.media.uploads import MediaSettings, StoredUpload, media_settings, store_upload
from app.mentions import mentioned_names
from app.models import MediaFile, MediaKind, Message, Room, User

CLIENT_MSG_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class NotMember(Exception):
    """The author may not post here: `visible` says whether the room is theirs to know of."""

    def __init__(self, visible: bool) -> None:
        super().__init__("not a member")
        self.visible = visible


async def create_message(room: Room | int, author: User, body: str, client_msg_id: str | None,
                         max_chars: int = 10_000, image: bytes | None = None,
                         media: MediaSettings | None = None) -> Message:
    """Store a message (text, an image, or both) if `author` is a member of the room (else
    NotMember); the same client_msg_id again returns the first."""
    body = clean_body(body, max_chars, required=image is None)
    client_msg_id = _clean_client_msg_id(client_msg_id)
    room_id = room if isinstance(room, int) else room.id
    stored = await _store_image(image, media) if image is not None else None
    try:
        message = await _insert(room_id, author, body, client_msg_id, stored)
    except _AlreadyPosted as retry:
        if stored:
            stored.discard()  # a retry of a posted message: its first upload is the one shown
        return await _earlier(retry.message_id, author)
    except BaseException:
        if stored:
            stored.discard()  # no row points at these files: do not leave them behind
        raise
    if not isinstance(room, int):
        message.room = room
    return message


async def _insert(room_id: int, author: User, body: str, client_msg_id: str,
                  stored: StoredUpload | None) -> Message:
    """The message as stored; _AlreadyPosted when the client id was used before."""
    grace = mail_config.current().grace
    mentioned = mentioned_names(body)
    try:
        if stored is None:  # one statement, one round trip, its own transaction
            posted = await post_message(connections.get("default"), room_id, author.id,
                                        client_msg_id, body, None, mentioned, grace)
            media = None
        else:
            async with in_transaction() as conn:
                media = await MediaFile.create(**stored.row_fields(), owner_id=author.id,
                                               room_id=room_id, using_db=conn)
                posted = await post_message(conn, room_id, author.id, client_msg_id, body,
                                            media.id, mentioned, grace)
                if posted.id is None:
                    raise _NotPosted(posted)
    except _NotPosted as refused:
        posted = refused.posted
    except IntegrityError:  # the same client id committed after our snapshot: it won
        earlier = await Message.get(room_id=room_id, client_msg_id=client_msg_id)
        raise _AlreadyPosted(earlier.id) from None
    if not posted.member:
        raise NotMember(posted.visible)
    if posted.id is None:
        raise _AlreadyPosted(posted.earlier_id)
    message = Message(id=posted.id, room_id=room_id, author_id=author.id, seq=posted.seq,
                      client_msg_id=client_msg_id, body=body,
                      image_id=media.id if media else None, created_at=posted.created_at,
                      change_seq=0)
    message._saved_in_db = True
    message.author = author
    message.image = media
    return message


class _AlreadyPosted(Exception):
    def __init__(self, message_id: int | None) -> None:
        self.message_id = message_id


class _NotPosted(Exception):
    """Rolls back the image row of a post the statement refused or found posted before."""

    def __init__(self, posted: Posted) -> None:
        self.posted = posted


async def _earlier(message_id: int, author: User) -> Message:
    earlier = await Message.get(id=message_id).prefetch_related("author", "image")
    if earlier.author_id != author.id:
        raise Conflict("That message id belongs to another message.")
    return earlier


async def _store_image(image: bytes, media: MediaSettings | None) -> StoredUpload:
    try:
        return await store_upload(image, MediaKind.IMAGE, media or media_settings())
    except ImageRejected as exc:
        raise InvalidInput({"image": str(exc)}) from None


def new_client_msg_id() -> str:
    """A fresh id for a composer, so a resubmitted form posts once."""
    return uuid.uuid4().hex


def clean_body(body: str, max_chars: int, required: bool = True) -> str:
    """Normalised message text; InvalidInput when it is empty (and required) or too long."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body and required:
        raise InvalidInput({"body": "Write a message or attach an image before sending."})
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
