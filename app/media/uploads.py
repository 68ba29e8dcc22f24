"""From uploaded bytes to stored files: size check, Pillow in a thread, atomic writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.media.images import ImageRejected, ProcessedImage, process_avatar, process_image
from app.media.storage import delete_files, write_files
from app.models import MediaKind
from config.settings import Settings

TOO_LARGE = "That file is too large ({size}): the limit is {limit}."


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


def media_settings(settings: Settings) -> MediaSettings:
    """The media part of Parley's settings."""
    return MediaSettings(settings.media_dir, settings.upload_max_bytes, settings.image_max_pixels)


async def store_upload(data: bytes, kind: MediaKind, settings: MediaSettings) -> StoredUpload:
    """Check, re-encode and write an upload; raises ImageRejected with a message for the user."""
    if len(data) > settings.max_bytes:
        raise ImageRejected(TOO_LARGE.format(size=format_bytes(len(data)),
                                             limit=format_bytes(settings.max_bytes)))
    process = process_avatar if kind == MediaKind.AVATAR else process_image
    image = await process(data, settings.max_pixels)
    key, thumb_key = await write_files(settings.root, [image.full.data, image.thumb.data])
    return StoredUpload(kind, image, key, thumb_key, settings.root)


def format_bytes(size: int) -> str:
    """A byte count as people read it: 10 MB, 1.5 MB, 300 KB (binary units)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"
