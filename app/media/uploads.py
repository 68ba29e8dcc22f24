"""From uploaded bytes to stored files: size check, Pillow in a thread, atomic writes.

A message's file is either an image (re-encoded, shown inline) or an attachment (stored as
sent, always downloaded): `store_message_file` decides which, by content and name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.media.files import (
    claims_to_be_an_image,
    display_name,
    extension,
    guess_content_type,
    looks_like_an_image,
)
from app.media.images import EMPTY, ImageRejected, ProcessedImage, process_avatar, process_image
from app.media.storage import delete_files, write_files
from app.models import MediaKind
from config.settings import Settings

TOO_LARGE = "That file is too large ({size}): the limit is {limit}."
MISNAMED = ("That file is named like an image ({ext}) but is not a JPEG, PNG, WebP or GIF, so "
            "it was refused. To send it as a file, give it its real extension.")


@dataclass(frozen=True)
class MediaSettings:
    """Where files go and how large an upload may be."""

    root: Path
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class StoredUpload:
    """An upload written to disk under fresh keys but not yet recorded in the database."""

    kind: MediaKind
    image: ProcessedImage
    key: str
    thumb_key: str
    root: Path

    def row_fields(self) -> dict[str, Any]:
        """The MediaFile columns that describe these files."""
        return {"kind": self.kind, "key": self.key, "thumb_key": self.thumb_key,
                "format": self.image.format, "content_type": self.image.content_type,
                "byte_size": len(self.image.full.data), "width": self.image.full.width,
                "height": self.image.full.height, "thumb_width": self.image.thumb.width,
                "thumb_height": self.image.thumb.height}

    def discard(self) -> None:
        """Delete the files (the database row was never written or was rolled back)."""
        delete_files(self.root, [self.key, self.thumb_key])


@dataclass(frozen=True)
class UploadedFile:
    """A file as the browser sent it: its claimed name and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class StoredAttachment:
    """A file of any type written to disk as sent, not yet recorded in the database."""

    key: str
    name: str
    byte_size: int
    content_type: str
    root: Path

    def row_fields(self) -> dict[str, Any]:
        """The Attachment columns that describe this file."""
        return {"key": self.key, "name": self.name, "byte_size": self.byte_size,
                "content_type": self.content_type}

    def discard(self) -> None:
        """Delete the file (the database row was never written or was rolled back)."""
        delete_files(self.root, [self.key])


def media_settings(settings: Settings) -> MediaSettings:
    """The media part of Parley's settings."""
    return MediaSettings(settings.media_dir, settings.upload_max_bytes, settings.image_max_pixels)


async def store_upload(data: bytes, kind: MediaKind, settings: MediaSettings, *,
                       owner: int) -> StoredUpload:
    """Check, re-encode and write an upload; raises ImageRejected with a message for the user.
    `owner`: the uploader's user id (each person's images are processed one at a time)."""
    check_size(data, settings)
    process = process_avatar if kind == MediaKind.AVATAR else process_image
    image = await process(data, settings.max_pixels, owner=owner)
    key, thumb_key = await write_files(settings.root, [image.full.data, image.thumb.data])
    return StoredUpload(kind, image, key, thumb_key, settings.root)


async def store_message_file(upload: UploadedFile, settings: MediaSettings, *, owner: int
                             ) -> StoredUpload | StoredAttachment:
    """An image (re-encoded) or any other file (as sent); raises ImageRejected saying why.

    A file that starts like a JPEG, PNG, GIF or WebP is an image and must pass every image
    check. One only named like an image is refused rather than kept as a file, so a broken or
    disguised image is never passed around as a download that looks like a picture.
    """
    check_size(upload.data, settings)
    if claims_to_be_an_image(upload.data, upload.name):
        if not looks_like_an_image(upload.data):
            raise ImageRejected(MISNAMED.format(ext=extension(upload.name)))
        return await store_upload(upload.data, MediaKind.IMAGE, settings, owner=owner)
    return await store_attachment(upload, settings)


async def store_attachment(upload: UploadedFile, settings: MediaSettings) -> StoredAttachment:
    """Write a file as sent under a fresh key; its name is kept only for display."""
    check_size(upload.data, settings)
    name = display_name(upload.name)
    (key,) = await write_files(settings.root, [upload.data])
    return StoredAttachment(key, name, len(upload.data), guess_content_type(name), settings.root)


def check_size(data: bytes, settings: MediaSettings) -> None:
    """ImageRejected, saying why, for an empty upload or one over the size limit."""
    if not data:
        raise ImageRejected(EMPTY)
    if len(data) > settings.max_bytes:
        raise ImageRejected(TOO_LARGE.format(size=format_bytes(len(data)),
                                             limit=format_bytes(settings.max_bytes)))


def format_bytes(size: int) -> str:
    """A byte count as people read it: 10 MB, 1.5 MB, 300 KB (binary units)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return "1 byte" if size == 1 else f"{size} bytes"
