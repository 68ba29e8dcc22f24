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


class InstanceKeys(Model):
    """The instance's own secrets (row id 1, made at the first start), kept in the database so
    that a dump of it is a complete backup: restored anywhere, sessions, e-mailed links and push
    subscriptions keep working, and every replica reads the same ones."""

    id = fields.IntField(primary_key=True)
    # Names this instance's channel on a shared Redis (two instances never share one, even
    # when their databases have the same name; an instance's replicas always do).
    bus_id = fields.CharField(max_length=32)
    secret_key = fields.CharField(max_length=128)  # signs sessions and e-mailed links
    vapid_private_key = fields.CharField(max_length=64)  # raw P-256 key, base64url
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "instance_keys"


class MailHealth(Model):
    """How talking to the mail server went lately (row id 1), for the administration page."""

    id = fields.IntField(primary_key=True)
    failing_since = fields.DatetimeField(null=True)  # None: the last attempt was delivered
    error = fields.CharField(max_length=500, default="")  # the latest server-side failure
    error_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mail_health"
