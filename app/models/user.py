"""Users and their revocable login sessions."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A person with an account; `username_key` is the lower-cased name that keeps names unique."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=32)
    username_key = fields.CharField(max_length=32, unique=True)
    email = fields.CharField(max_length=254)
    password_hash = fields.CharField(max_length=255)
    # Keys of the profile photo's 256 px and 64 px files (MediaFile rows of kind "avatar").
    avatar_key = fields.CharField(max_length=32, null=True)
    avatar_thumb_key = fields.CharField(max_length=32, null=True)
    email_notifications = fields.BooleanField(default=True)
    notify_delay_seconds = fields.IntField(null=True)  # None: the server's NOTIFY_DELAY_SECONDS
    created_at = fields.DatetimeField(auto_now_add=True)
    is_admin = fields.BooleanField(default=False, db_default=False)  # the first account; others by promotion
    # A deactivated user keeps their messages but cannot log in and is never notified.
    deactivated_at = fields.DatetimeField(null=True)
    # Set when the owner of `email` followed the verification link; cleared when it changes.
    email_verified_at = fields.DatetimeField(null=True)
    # Counts changes and confirmations of `email`. A verification link carries it, so a link
    # works once, and never again after the address changes, even back to the same one.
    email_generation = fields.IntField(default=0, db_default=0)
    # A webhook's identity: it posts messages but has no password, session or e-mail.
    is_bot = fields.BooleanField(default=False, db_default=False)
    # "Slack" for an account made by an import, until the person it stands for claims it by
    # confirming the same e-mail address (app/actions/imported_accounts.py): it has no usable
    # password, and its `username_key` is "slack:<id>", so the name stays free to sign up with.
    imported_from = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "users"

    @property
    def is_active(self) -> bool:
        """A person who may log in and be notified (not deactivated, not a webhook's bot, not an
        imported account nobody has claimed yet)."""
        return self.deactivated_at is None and not self.is_bot and self.imported_from is None

    @property
    def display_name(self) -> str:
        """The name shown by their messages: "alice (from Slack)" until alice claims it."""
        return f"{self.username} (from {self.imported_from})" if self.imported_from \
            else self.username


class Session(Model):
    """One logged-in browser: its random id is quart-auth's auth_id, so logout can revoke it."""

    id = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sessions"
