"""Link previews: the card under a room message with a link (title, description, site, image).

A page is fetched once per URL and kept in `LinkPreview` (a failure too, for a short while);
`MessageLink` ties a message to the URL it links to first and says where its card stands.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.media import MediaFile
    from app.models.message import Message


class PreviewStatus(StrEnum):
    """Where a URL's fetch stands."""

    FETCHING = "fetching"  # a process is fetching it now (stale after a while: taken over)
    OK = "ok"  # fetched and parsed: the fields below are the card
    FAILED = "failed"  # refused, unreachable, not HTML, nothing to show: `error` says which


class LinkState(StrEnum):
    """Where a message's card stands."""

    PENDING = "pending"  # the background job has not fetched it yet
    SHOWN = "shown"  # `preview` is shown under the message
    NONE = "none"  # the page gave nothing to show (or could not be fetched)
    REMOVED = "removed"  # the author took the card away: it never comes back


class LinkPreview(Model):
    """What one URL's page says about itself, fetched once and shared by every message."""

    id = fields.BigIntField(primary_key=True)
    url = fields.CharField(max_length=2048, unique=True)  # normalised (app/previews/urls.py)
    status = fields.CharEnumField(PreviewStatus, max_length=16)
    fetched_at = fields.DatetimeField()  # when the fetch started (FETCHING) or ended
    title = fields.CharField(max_length=300, default="")
    description = fields.CharField(max_length=600, default="")
    site_name = fields.CharField(max_length=120, default="")
    image: fields.ForeignKeyNullableRelation[MediaFile] = fields.ForeignKeyField(
        "models.MediaFile", related_name="link_previews", null=True, on_delete=fields.SET_NULL
    )
    image_id: int | None
    error = fields.CharField(max_length=300, default="")

    class Meta:
        table = "link_previews"


class MessageLink(Model):
    """A room message's first link, and its card's state; a PENDING row is the fetch job."""

    id = fields.BigIntField(primary_key=True)
    message: fields.OneToOneRelation[Message] = fields.OneToOneField(
        "models.Message", related_name="link", on_delete=fields.CASCADE
    )
    message_id: int
    url = fields.CharField(max_length=2048)
    state = fields.CharEnumField(LinkState, max_length=16, default=LinkState.PENDING)
    preview: fields.ForeignKeyNullableRelation[LinkPreview] = fields.ForeignKeyField(
        "models.LinkPreview", related_name="message_links", null=True,
        on_delete=fields.SET_NULL
    )
    preview_id: int | None
    not_before = fields.DatetimeField()  # the job is not taken again before this (a lease)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "message_links"
        indexes = (("state", "not_before"),)

    def card(self) -> LinkPreview | None:
        """The preview to show under the message, when there is one and it was loaded."""
        if self.state != LinkState.SHOWN or self.preview_id is None:
            return None
        preview = getattr(self, "preview", None)
        if not isinstance(preview, LinkPreview) or preview.status != PreviewStatus.OK:
            return None
        return preview
