"""Hits counted by the login and sign-up throttles, shared by every app process."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ThrottleHit(Model):
    """One counted attempt under a key such as `login-user:alice` or `signup-ip:10.0.0.1`."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=160, db_index=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "throttle_hits"
