"""The instance's own settings: its name, who may sign up, and the secret join link."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class SignupPolicy(StrEnum):
    """Who may create an account once the first one (the administrator) exists."""

    LINK = "link"  # only people holding the join link
    OPEN = "open"  # anyone who reaches the server
    CLOSED = "closed"  # nobody


class Instance(Model):
    """The single settings row (id 1), made on first use."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=60, default="Parley")
    signup_policy = fields.CharEnumField(SignupPolicy, max_length=8, default=SignupPolicy.LINK)
    join_token = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "instance"
