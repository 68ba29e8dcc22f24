"""Posting messages: numbered under the room's row lock, idempotent per client message id.

Every message, text or a direct room's sealed envelope, is written by the one statement of
app/actions/message_insert.py (with a file, the file's row shares its transaction). The
statement says why it refused a post; `_refusal_error` turns that into the error the person
sees, so nothing is looked up again to learn why.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from app.actions import envelopes
from app.actions.message_insert import Posted, Refusal, post_message
from app.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
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
from app.models import Attachment, MediaFile, MediaKind, Message, Room, RoomKind, User
from app.realtime.publish import in_transaction
from app.sql import saved

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
        message, fresh = await _posted_once(room.id, author, client_msg_id, grace, body=body,
                                            stored=stored, reply_to=quoted)
    except BaseException:
        if stored:
            stored.discard()  # no row points at these files: do not leave them behind
        raise
    if stored and not fresh:
        stored.discard()  # a retry of a posted message: its first upload is the one shown
    message.room = room
    return message


async def post_text(room_id: int, author: User, body: str, client_msg_id: str | None, *,
                    max_chars: int, grace: timedelta, reply_to: str | None = None
                    ) -> Message:
    """A text message in one round trip, authorised by the statement itself (a member of a
    room that takes text). A refused post raises why (NotFound, Forbidden, InvalidInput, ...);
    a retry returns the first copy."""
    message, _ = await _posted_once(room_id, author, _clean_client_msg_id(client_msg_id), grace,
                                    body=clean_body(body, max_chars),
                                    reply_to=clean_reply_to(reply_to))
    return message


async def post_sealed(room_id: int, author: User, envelope: str | None,
                      client_msg_id: str | None, *, grace: timedelta,
                      reply_to: str | None = None) -> Message:
    """Store a direct room's message as the envelope the author's browser sealed, in the same
    one statement as a text message.

    The statement checks, under the room's lock, that the envelope carries the author's current
    key and a sealed key for exactly each member's current key, so a removed member's key is
    never written to and a changed key is caught (KeyChanged) before anyone's text is sent to
    it. A retry (the same client_msg_id) returns the first copy.
    """
    sealed = envelopes.sealed_envelope(envelope)
    message, _ = await _posted_once(room_id, author, _clean_client_msg_id(client_msg_id), grace,
                                    body="", envelope=sealed, reply_to=clean_reply_to(reply_to))
    return message


async def create_sealed_message(room: Room, author: User, envelope: str | None,
                                client_msg_id: str | None, *, grace: timedelta,
                                reply_to: str | None = None) -> Message:
    """post_sealed for a room already at hand."""
    message = await post_sealed(room.id, author, envelope, client_msg_id, grace=grace,
                                reply_to=reply_to)
    message.room = room
    return message


async def _posted_once(room_id: int, author: User, client_msg_id: str, grace: timedelta,
                       **content: Any) -> tuple[Message, bool]:
    """The message, and False when it is a retry's first copy (the same client_msg_id)."""
    try:
        message = await _insert(room_id, author, client_msg_id, grace, **content)
    except _AlreadyPosted as dup:
        if dup.message.author_id != author.id:
            raise Conflict("That message id belongs to another message.", field="body") from None
        await dup.message.fetch_related("author", "image", "attachment", "reply_to__author")
        return dup.message, False
    return message, True


async def _insert(room_id: int, author: User, client_msg_id: str, grace: timedelta, *,
                  body: str, stored: StoredUpload | StoredAttachment | None = None,
                  envelope: dict[str, Any] | None = None,
                  reply_to: int | None = None) -> Message:
    """A message in one round trip (app/actions/message_insert.py); with a file, the file's
    row and the statement share one transaction. The statement checks the membership and the
    keys itself; a post it refused raises why (a DomainError, or _AlreadyPosted for a retry)."""
    mentioned = mentioned_names(body)
    media = attachment = None
    try:
        if stored is None:
            posted = await post_message(None, room_id, author.id, client_msg_id, body, None,
                                        mentioned, grace, reply_to, envelope=envelope)
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
    if posted.refusal is Refusal.DUPLICATE:
        assert posted.earlier_id is not None, "a duplicate names the message it repeats"
        raise _AlreadyPosted(await Message.get(id=posted.earlier_id))
    if posted.refusal is not None:
        raise _refusal_error(posted)
    return await _posted_message(posted, room_id, author, client_msg_id, body, media,
                                 attachment, reply_to, envelope)


def _refusal_error(posted: Posted) -> DomainError:
    """The error the person sees for a post the statement refused."""
    match posted.refusal:
        case Refusal.NOT_MEMBER if posted.room_kind == RoomKind.PUBLIC:
            return Forbidden("Join this room to take part.")
        case Refusal.NO_ROOM | Refusal.NOT_MEMBER:
            return NotFound()  # as for a room this person may not know exists
        case Refusal.NEEDS_ENVELOPE:
            return envelopes.needs_javascript()
        case Refusal.NOT_SEALED_HERE:
            return InvalidInput({"envelope": "Only private conversations take encrypted "
                                             "messages. Nothing was sent."})
        case Refusal.NOT_SEALED_FOR_EACH:
            return envelopes.not_sealed_for_each()
        case Refusal.MISSING_KEYS:
            return KeyChanged(f"{', '.join(posted.missing)} has no key yet: they can read "
                              "private messages once they have used Parley with JavaScript.")
        case Refusal.SENDER_KEY_CHANGED:
            return KeyChanged("Your key changed in another browser. Reload the page to "
                              "restore it.")
        case Refusal.STALE_KEYS:
            return KeyChanged("The members of this conversation changed, or one of them has a "
                              "new key. Compare the safety numbers before sending.")
        case Refusal.BAD_REPLY:
            return _reply_refused()
    raise AssertionError(f"no error for the refusal {posted.refusal!r}")


async def _posted_message(posted: Posted, room_id: int, author: User, client_msg_id: str,
                          body: str, media: MediaFile | None, attachment: Attachment | None,
                          reply_to: int | None, envelope: dict[str, Any] | None) -> Message:
    """The Message the statement inserted, built from what it returned (no second query but
    the quoted message's, when there is one)."""
    message = saved(Message, id=posted.id, room_id=room_id, author_id=author.id,
                    seq=posted.seq, client_msg_id=client_msg_id, body=body,
                    image_id=media.id if media else None,
                    attachment_id=attachment.id if attachment else None,
                    created_at=posted.created_at, change_seq=0, reply_to_id=reply_to,
                    envelope=envelope)
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
