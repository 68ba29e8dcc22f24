"""Imports from other chat services: which of their ids became which of ours, and each run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.user import User


class ImportedId(Model):
    """`external_id` of `source` (e.g. Slack's "U024BE7LH") is our `kind` row `local_id`:
    what makes running the same export twice create nothing twice."""

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=16)  # "slack"
    kind = fields.CharField(max_length=8)  # "user" or "room"
    external_id = fields.CharField(max_length=64)
    local_id = fields.IntField()

    class Meta:
        table = "imported_ids"
        unique_together = (("source", "kind", "external_id"),)


class ImportRun(Model):
    """One import of an export: its progress (day files done of all) and, once over, its
    report (what was made, what was skipped and why) or the error that stopped it."""

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=16)
    file_name = fields.CharField(max_length=255, default="")
    started_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="import_runs", null=True, on_delete=fields.SET_NULL
    )
    started_by_id: int | None
    status = fields.CharField(max_length=8, default="running")  # running, done, failed
    days_total = fields.IntField(default=0)
    days_done = fields.IntField(default=0)
    report: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "import_runs"
