"""Posting messages: numbered under the room's row lock, idempotent per client message id.

A message in a direct room is a sealed envelope instead of text (create_sealed_message); it
takes the same path: the same table, numbering, read mark, outbox and event.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from app.actions import envelopes
from app.actions.message_insert import Posted, post_message
from app.db import posting
from app.errors import Conflict, DomainError, InvalidInput
from app.mail.outbox import enqueue_room_message
from app.media.images import ImageRejected
from app.media.uploads import (
    MediaSettings,
    StoredAttachment,
    StoredUpload,
    UploadedFile,
    store_message_file,
    store_upload,
)
from app.mentions import mentioned_names
from app.models import Attachment, MediaFile, MediaKind, Membership, Message, Room, User
from app.queries.keys import current_key_ids
from app.realtime.events import MessageCreated
from app.realtime.publish import in_transaction, publish

CLIENT_MSG_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class KeyChanged(Conflict):
    """A sealed message was made for keys that are no longer its members' current keys."""


class _AlreadyPosted(Exception):
    def __init__(self, message: Message) -> None:
        self.message = message


async def create_message(room: Room, author: User, body: str, client_msg_id: str | None, *,
                         max_chars: int, grace: timedelta, image: bytes | None = None,
                         file: UploadedFile | None = None, media: MediaSettings | None = None,
                         reply_to: str | None = None) -> Message:
    """Store a message (text, a file, or both); the same client_msg_id again returns the first.

    `image` must be an image; `file` may be anything: an image is re-encoded and shown, any
    other file is kept as sent and offered as a download (app/media/uploads.py decides).
    `max_chars` and `media` (needed with a file) come from the settings; `grace` decides
    who counts as offline and gets an e-mail (app.mail.config.presence_grace). `reply_to` is
    the form's id of the message replied to (checked in the insert: same room, not deleted).
    """
    body = clean_body(body, max_chars, required=image is None and file is None)
    client_msg_id = _clean_client_msg_id(client_msg_id)
    quoted = clean_reply_to(reply_to)
    stored = await _store_file(author.id, image, file, media) \
        if image is not None or file else None
    try:
        message, fresh = await _posted_once(room, author, client_msg_id, grace, body=body,
                                            stored=stored, reply_to=quoted)
    except BaseException:
        if stored:
            stored.discard()  # no row points at these files: do not leave them behind
        raise
    if stored and not fresh:
        stored.discard()  # a retry of a posted message: its first upload is the one shown
    return message


async def post_text(room_id: int, author: User, body: str, client_msg_id: str | None, *,
                    max_chars: int, grace: timedelta, reply_to: str | None = None
                    ) -> Message | None:
    """The common post in one round trip: a text message, authorised by the statement itself
    (a member of a room that takes text). None when it did not post: not a member, no such
    room, a direct room, bad input, a retry, a refused reply. The caller then takes the full
    path (look the room up, create_message), which says exactly why, or returns the retry's
    first copy.
    """
    try:
        return await _insert_in_one_statement(
            room_id, author, _clean_client_msg_id(client_msg_id), grace,
            clean_body(body, max_chars), None, clean_reply_to(reply_to))
    except (DomainError, _AlreadyPosted):
        return None


async def create_sealed_message(room: Room, author: User, envelope: str | None,
                                client_msg_id: str | None, *, grace: timedelta,
                                reply_to: str | None = None) -> Message:
    """Store a direct room's message as the envelope the author's browser sealed.

    Checked under the room's lock: the envelope must carry the author's current key and a
    sealed key for exactly each member's current key, so a removed member's key is never
    written to and a changed key is caught (KeyChanged) before anyone's text is sent to it.
    """
    members = await Membership.filter(room_id=room.id).values_list("user_id", flat=True)
    sealed = envelopes.sealed_envelope(envelope, len(members))
    client_msg_id = _clean_client_msg_id(client_msg_id)
    quoted = clean_reply_to(reply_to)

    async def check(conn: Any) -> None:
        await _require_current_keys(room, author, sealed, conn)

    message, _ = await _posted_once(room, author, client_msg_id, grace, body="",
                                    envelope=sealed, check=check, reply_to=quoted)
    return message


async def _posted_once(room: Room, author: User, client_msg_id: str, grace: timedelta,
                       **content: Any) -> tuple[Message, bool]:
    """The message, and False when it is a retry's first copy (the same client_msg_id)."""
    try:
        message = await _insert(room, author, client_msg_id, grace, **content)
    except _AlreadyPosted as dup:
        if dup.message.author_id != author.id:
            raise Conflict("That message id belongs to another message.", field="body") from None
        await dup.message.fetch_related("author", "image", "attachment", "reply_to__author")
        return dup.message, False
    message.author = author
    message.room = room
    return message, True


async def _require_current_keys(room: Room, author: User, envelope: dict[str, Any],
                                conn: Any) -> None:
    members = await Membership.filter(room_id=room.id).using_db(conn).prefetch_related("user")
    current = await current_key_ids([m.user_id for m in members], using_db=conn)
    missing = sorted(m.user.username for m in members if m.user_id not in current)
    if missing:
        raise KeyChanged(f"{', '.join(missing)} has no key yet: they can read private "
                         "messages once they have used Parley with JavaScript.")
    if envelope["sender_key"] != current[author.id]:
        raise KeyChanged("Your key changed in another browser. Reload the page to restore it.")
    if {k["key"] for k in envelope["keys"]} != set(current.values()):
        raise KeyChanged("The members of this conversation changed, or one of them has a new "
                         "key. Compare the safety numbers before sending.")


async def _insert(room: Room, author: User, client_msg_id: str, grace: timedelta, *,
                  body: str, stored: StoredUpload | StoredAttachment | None = None,
                  envelope: dict[str, Any] | None = None,
                  check: Callable[[Any], Awaitable[None]] | None = None,
                  reply_to: int | None = None) -> Message:
    if envelope is None and check is None and not room.is_direct:
        message = await _insert_in_one_statement(room.id, author, client_msg_id, grace, body,
                                                 stored, reply_to)
        message.room = room
        return message
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
        if check is not None:
            await check(conn)
        if reply_to is not None and not await Message.filter(
                id=reply_to, room_id=room.id, deleted_at=None).using_db(conn).exists():
            raise _reply_refused()
        seq = rows[0]["last_seq"]
        media, attachment = await _file_row(stored, room.id, author, conn)
        message = await Message.create(room_id=room.id, author_id=author.id, seq=seq,
                                       client_msg_id=client_msg_id, body=body,
                                       image=media, attachment=attachment, envelope=envelope,
                                       reply_to_id=reply_to, using_db=conn)
        await Membership.filter(room_id=room.id, user_id=author.id).using_db(conn).update(
            last_read_seq=seq)
        await enqueue_room_message(message, author, conn, grace, direct=room.is_direct)
        # NOTIFY inside the transaction: delivered at COMMIT, never before the row is visible.
        await publish(MessageCreated(room_id=room.id, message_id=message.id, seq=seq,
                                     author_id=author.id), using_db=conn)
    if reply_to is not None:  # the fragment quotes it
        message.reply_to = await Message.get(id=reply_to).prefetch_related("author")
    return message



async def _insert_in_one_statement(room_id: int, author: User, client_msg_id: str,
                                   grace: timedelta, body: str,
                                   stored: StoredUpload | StoredAttachment | None,
                                   reply_to: int | None) -> Message:
    """A room message in one round trip (app/actions/message_insert.py); with a file, the
    file's row and the statement share one transaction. The statement checks the membership
    itself; a post it refused raises why (a DomainError, or _AlreadyPosted for a retry)."""
    mentioned = mentioned_names(body)
    media = attachment = None
    try:
        if stored is None:
            async with posting() as conn:
                posted = await post_message(conn, room_id, author.id, client_msg_id, body, None,
                                            mentioned, grace, reply_to)
        else:
            async with in_transaction() as conn:
                media, attachment = await _file_row(stored, room_id, author, conn)
                posted = await post_message(conn, room_id, author.id, client_msg_id, body,
                                            media.id if media else None, mentioned, grace,
                                            reply_to,
                                            attachment.id if attachment else None)
                if posted.id is None:
                    raise _Refused(posted)  # rolls the file's row back
    except _Refused as refused:
        posted = refused.posted
    except IntegrityError:  # the same client id committed after our snapshot: it won
        raise _AlreadyPosted(await Message.get(room_id=room_id,
                                               client_msg_id=client_msg_id)) from None
    if not posted.member:  # not a member (any more), or no such room
        raise Conflict("You are no longer a member of this room.", field="body")
    if posted.id is None and posted.earlier_id is not None:
        raise _AlreadyPosted(await Message.get(id=posted.earlier_id))
    if posted.id is None and reply_to is not None and posted.quoted_id is None:
        raise _reply_refused()
    if posted.id is None:  # a direct room: its messages are sealed by the browser
        raise Conflict("This conversation takes only end-to-end encrypted messages.",
                       field="body")
    return await _posted_message(posted, room_id, author, client_msg_id, body, media,
                                 attachment, reply_to)


async def _posted_message(posted: Posted, room_id: int, author: User, client_msg_id: str,
                          body: str, media: MediaFile | None, attachment: Attachment | None,
                          reply_to: int | None) -> Message:
    """The Message the statement inserted, built from what it returned (no second query but
    the quoted message's, when there is one)."""
    message = Message(id=posted.id, room_id=room_id, author_id=author.id, seq=posted.seq,
                      client_msg_id=client_msg_id, body=body,
                      image_id=media.id if media else None,
                      attachment_id=attachment.id if attachment else None,
                      created_at=posted.created_at, change_seq=0, reply_to_id=reply_to)
    message._saved_in_db = True
    message.image = media
    message.attachment = attachment
    message.author = author
    if reply_to is not None:  # the fragment quotes it
        message.reply_to = await Message.get(id=reply_to).prefetch_related("author")
    return message


class _Refused(Exception):
    def __init__(self, posted: Posted) -> None:
        self.posted = posted


async def _file_row(stored: StoredUpload | StoredAttachment | None, room_id: int,
                    author: User, conn: Any) -> tuple[MediaFile | None, Attachment | None]:
    """The database row describing the stored file: an image's or an attachment's."""
    if stored is None:
        return None, None
    if isinstance(stored, StoredAttachment):
        return None, await Attachment.create(**stored.row_fields(), owner_id=author.id,
                                             room_id=room_id, using_db=conn)
    return await MediaFile.create(**stored.row_fields(), owner_id=author.id, room_id=room_id,
                                  using_db=conn), None


async def _store_file(owner: int, image: bytes | None, file: UploadedFile | None,
                      media: MediaSettings | None) -> StoredUpload | StoredAttachment:
    if media is None:
        raise TypeError("create_message needs media= (the media settings) to store a file")
    try:
        if image is not None:
            return await store_upload(image, MediaKind.IMAGE, media, owner=owner)
        assert file is not None
        return await store_message_file(file, media, owner=owner)
    except ImageRejected as exc:
        raise InvalidInput({"image": str(exc)}) from None


def new_client_msg_id() -> str:
    """A fresh id for a composer, so a resubmitted form posts once."""
    return uuid.uuid4().hex


def clean_body(body: str, max_chars: int, required: bool = True) -> str:
    """Normalised message text; InvalidInput when it is empty (and required) or too long."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body and required:
        raise InvalidInput({"body": "Write a message or attach a file before sending."})
    if len(body) > max_chars:
        raise InvalidInput({"body": f"Messages can be at most {max_chars:,} characters "
                                    f"(this one has {len(body):,})."})
    return body


def clean_reply_to(reply_to: str | None) -> int | None:
    """The id of the message replied to, or None; InvalidInput when it is not a message id."""
    if reply_to is None or not reply_to.strip():
        return None
    reply_to = reply_to.strip()
    if len(reply_to) > 19 or not (reply_to.isascii() and reply_to.isdigit()) \
            or not 0 < int(reply_to) < 2 ** 63:
        raise _reply_refused()
    return int(reply_to)


def _reply_refused() -> InvalidInput:
    return InvalidInput({"reply_to": "The message you are replying to is not in this room "
                                     "or was deleted."})


def _clean_client_msg_id(client_msg_id: str | None) -> str:
    if not client_msg_id:
        return new_client_msg_id()
    if not CLIENT_MSG_ID.match(client_msg_id):
        raise InvalidInput({"client_msg_id": "The message id is malformed."})
    return client_msg_id
