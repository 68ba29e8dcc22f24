"""Media files: the metadata of images stored on disk (the bytes never enter the database)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.room import Room
    from app.models.user import User


DISPLAY_BOX = 320  # CSS pixels a thumbnail may take in the message list


class MediaKind(StrEnum):
    """What an upload is for: it decides who may fetch it."""

    IMAGE = "image"
    AVATAR = "avatar"
    PREVIEW = "preview"  # a link preview's image (app/previews/), fetched and re-encoded


class MediaFile(Model):
    """One upload: a full-size re-encode under `key` and a smaller rendition under `thumb_key`."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(MediaKind, max_length=16)
    key = fields.CharField(max_length=32, unique=True)
    thumb_key = fields.CharField(max_length=32, unique=True)
    format = fields.CharField(max_length=8)
    content_type = fields.CharField(max_length=32)
    byte_size = fields.IntField()
    width = fields.IntField()
    height = fields.IntField()
    thumb_width = fields.IntField()
    thumb_height = fields.IntField()
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="media_files", on_delete=fields.CASCADE
    )
    owner_id: int
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="media_files", null=True, on_delete=fields.CASCADE
    )
    room_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "media_files"

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height to reserve for the thumbnail, so the list does not jump as it loads."""
        scale = min(1.0, DISPLAY_BOX / self.thumb_width, DISPLAY_BOX / self.thumb_height)
        return max(1, round(self.thumb_width * scale)), max(1, round(self.thumb_height * scale))
