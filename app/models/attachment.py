"""Attachments: files of any type carried by a message (the bytes stay on disk, never here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from app.media.files import extension, file_kind

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.room import Room
    from app.models.user import User



class Attachment(Model):
    """One file as uploaded: stored verbatim under the opaque `key`, always served as a download.

    `name` is the uploader's file name made safe for display (app/media/files.py); it is never
    used as a path. `content_type` is only a guess from that name, for the icon: the file is
    always served as application/octet-stream.
    """

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=255)
    byte_size = fields.BigIntField()
    content_type = fields.CharField(max_length=100)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="attachments", on_delete=fields.CASCADE
    )
    owner_id: int
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="attachments", null=True, on_delete=fields.CASCADE
    )
    room_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "attachments"

    @property
    def kind(self) -> str:
        """The icon family (pdf, archive, sheet, document, image, audio, video, text, file)."""
        return file_kind(self.name, self.content_type)

    @property
    def label(self) -> str:
        """The short type written on the icon: the extension in capitals ("PDF"), or ""."""
        ext = extension(self.name).lstrip(".")
        return ext.upper() if 0 < len(ext) <= 4 and ext.isalnum() else ""
