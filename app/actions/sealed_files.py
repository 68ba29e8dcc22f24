"""Encrypted files of private conversations: blobs the server stores for a room but cannot read.

The browser encrypts a file (and an image's thumbnail) with a fresh AES-GCM key before it is
uploaded; the key, IV, name, type and size travel only inside the sealed envelope of the
message. The server keeps each blob as an attachment of the "opaque" kind
(`OPAQUE_CONTENT_TYPE`, named `OPAQUE_NAME`), in the same store and under the same size limit
as any other file, and serves it only to the room's members (app/access.py).
"""

from __future__ import annotations

from app.errors import InvalidInput
from app.media.files import OPAQUE_CONTENT_TYPE, OPAQUE_NAME
from app.media.images import ImageRejected
from app.media.storage import delete_files, write_files
from app.media.uploads import MediaSettings, check_size
from app.models import Attachment, Room, User

GCM_TAG_BYTES = 16
NO_BLOB = "No encrypted file was sent. Choose the file again."
NOT_ENCRYPTED = "That is not an encrypted file: files are encrypted in your browser before sending."


async def store_sealed_file(room: Room, owner: User, data: bytes | None,
                            settings: MediaSettings) -> Attachment:
    """Store one encrypted blob for a direct room under a fresh random key; InvalidInput for
    a missing, too short or too large blob (nothing is written then)."""
    if data is None:
        raise InvalidInput({"blob": NO_BLOB})
    try:
        check_size(data, settings)
    except ImageRejected as exc:
        raise InvalidInput({"blob": str(exc)}) from None
    if len(data) <= GCM_TAG_BYTES:  # AES-GCM output is its tag plus at least one byte
        raise InvalidInput({"blob": NOT_ENCRYPTED})
    (key,) = await write_files(settings.root, [data])
    try:
        return await Attachment.create(key=key, name=OPAQUE_NAME, byte_size=len(data),
                                       content_type=OPAQUE_CONTENT_TYPE, owner_id=owner.id,
                                       room_id=room.id)
    except BaseException:
        delete_files(settings.root, [key])
        raise
