"""Editing and deleting messages: each change bumps the room's change counter and is pushed live."""

from __future__ import annotations

from pathlib import Path

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.timezone import now

from app.actions.messages import clean_body
from app.errors import Conflict
from app.media.storage import delete_files
from app.models import Attachment, MediaFile, Message, MessageRevision, Reaction
from app.realtime.events import MessageChanged
from app.realtime.publish import in_transaction, publish


async def edit_message(message: Message, body: str, max_chars: int = 10_000) -> Message:
    """Replace a message's text, keeping the old text as a revision (same text: no change)."""
    body = clean_body(body, max_chars,
                      required=message.image_id is None and message.attachment_id is None)
    async with in_transaction() as conn:
        current = await lock_message(message, conn)
        if current.deleted_at is not None:
            raise Conflict("This message was deleted; it can no longer be edited.", field="body")
        if current.body == body:
            return current
        await MessageRevision.create(message_id=current.id, body=current.body,
                                     written_at=current.edited_at or current.created_at,
                                     using_db=conn)
        current.body, current.edited_at = body, now()
        await record_change(current, conn, "body", "edited_at")
    return current


async def delete_message(message: Message, media_root: Path) -> Message:
    """Leave a tombstone: the row and its seq stay; text (or ciphertext), history, reactions,
    image and attached file go (their files on disk too, once the deletion is committed)."""
    async with in_transaction() as conn:
        current = await lock_message(message, conn)
        if current.deleted_at is not None:
            return current
        media = await MediaFile.get_or_none(id=current.image_id, using_db=conn) \
            if current.image_id else None
        attachment = await Attachment.get_or_none(id=current.attachment_id, using_db=conn) \
            if current.attachment_id else None
        await MessageRevision.filter(message_id=current.id).using_db(conn).delete()
        await Reaction.filter(message_id=current.id).using_db(conn).delete()
        current.body, current.deleted_at, current.image_id = "", now(), None
        current.envelope, current.attachment_id = None, None
        await record_change(current, conn, "body", "envelope", "deleted_at", "image_id",
                            "attachment_id")
        if media is not None:
            await media.delete(using_db=conn)
        if attachment is not None:
            await attachment.delete(using_db=conn)
    # After commit: a rolled-back deletion keeps its files.
    delete_files(media_root, [media.key, media.thumb_key] if media else [])
    delete_files(media_root, [attachment.key] if attachment else [])
    return current


async def lock_message(message: Message, conn: BaseDBAsyncClient) -> Message:
    """Take the room's row lock (changes are numbered in commit order), then re-read the message."""
    await conn.execute_query("SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE", [message.room_id])
    return await Message.get(id=message.id, using_db=conn)


async def record_change(message: Message, conn: BaseDBAsyncClient, *changed: str) -> None:
    """Save `changed` fields with the room's next change number and announce it at commit."""
    rows = await conn.execute_query_dict(
        "UPDATE rooms SET last_change_seq = last_change_seq + 1 WHERE id = $1 "
        "RETURNING last_change_seq", [message.room_id])
    message.change_seq = rows[0]["last_change_seq"]
    await message.save(using_db=conn, update_fields=[*changed, "change_seq"])
    await publish(MessageChanged(room_id=message.room_id, message_id=message.id,
                                 change_seq=message.change_seq), using_db=conn)
