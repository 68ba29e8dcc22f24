"""Incoming webhooks: creating one (a bot identity and a secret URL), posting, revoking."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from app.actions.accounts import person_called
from app.actions.messages import create_message
from app.errors import InvalidInput
from app.mail.config import presence_grace
from app.models import Membership, Message, Room, User, Webhook
from app.realtime.publish import in_transaction
from app.security import secret_digest
from app.slack_payload import payload_markdown
from config.settings import Settings

NAME_MAX = 32


async def create_webhook(room: Room, creator: User, name: str) -> tuple[Webhook, str]:
    """A webhook posting into `room` as a bot called `name`; returns it and its secret token.

    Only the token's hash is stored, so the URL can be shown once and never again.
    """
    name = " ".join(name.split())
    if not name:
        raise InvalidInput({"name": "Give the webhook a name: its messages are signed with it."})
    if len(name) > NAME_MAX:
        raise InvalidInput({"name": f"Webhook names can be at most {NAME_MAX} characters."})
    if not name.isprintable():
        raise InvalidInput({"name": "Webhook names cannot hold control characters."})
    if await person_called(name):
        raise InvalidInput({"name": f"Someone here is called “{name}”: give the webhook a name "
                                    "no person goes by, so nobody mistakes its messages."})
    token = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        # The bot is a User so its messages take the ordinary path; "~" is never in a real
        # username, and "!" is no password hash, so nobody can log in as it.
        bot = await User.create(username=name, username_key=f"~{secrets.token_hex(8)}",
                                email="", password_hash="!", is_bot=True, using_db=conn)
        webhook = await Webhook.create(room=room, creator=creator, bot=bot, name=name,
                                       token_hash=secret_digest(token), using_db=conn)
        # The bot belongs to the room while its webhook lives: posting checks membership.
        await Membership.create(room=room, user=bot, last_read_seq=room.last_seq, using_db=conn)
    return webhook, token


async def post_webhook_message(webhook: Webhook, text: str, settings: Settings) -> Message:
    """Post `text` into the webhook's room as its bot: stored, numbered, pushed, e-mailed."""
    room = await Room.get(id=webhook.room_id)
    bot = await User.get(id=webhook.bot_id)
    message = await create_message(room, bot, text, None, max_chars=settings.message_max_chars,
                                   grace=presence_grace(settings))
    await Webhook.filter(id=webhook.id).update(last_used_at=datetime.now(UTC))
    return message


async def post_webhook_payload(webhook: Webhook, payload: dict[str, Any],
                               settings: Settings) -> Message:
    """Post a Slack payload (mrkdwn text, blocks, attachments) as the Markdown it translates to.

    <@name> mentions only the room's members (app.slack_payload.PayloadRefused if it has
    nothing to show).
    """
    members = await Membership.filter(room_id=webhook.room_id).values_list("user__username",
                                                                          flat=True)
    body = payload_markdown(payload, [str(name) for name in members])
    return await post_webhook_message(webhook, body, settings)


async def revoke_webhook(webhook: Webhook) -> None:
    """Its URL stops working at once; the bot's messages stay."""
    if webhook.revoked_at is None:
        webhook.revoked_at = datetime.now(UTC)
        async with in_transaction() as conn:
            await webhook.save(update_fields=["revoked_at"], using_db=conn)
            await Membership.filter(room_id=webhook.room_id, user_id=webhook.bot_id) \
                .using_db(conn).delete()


async def revoke_room_webhooks(room_id: int | None, conn: BaseDBAsyncClient, *only: Q) -> None:
    """Revoke the live webhooks matching `only` (in one room, or in every room for None) and
    take their bots out of their rooms: a member who leaves, is removed or is deactivated
    takes their webhooks along, and an archived private room keeps none."""
    live = Webhook.filter(*only, revoked_at=None).using_db(conn)
    if room_id is not None:
        live = live.filter(room_id=room_id)
    found = await live.values_list("id", "room_id", "bot_id")
    if found:
        await Webhook.filter(id__in=[i for i, _, _ in found]).using_db(conn) \
            .update(revoked_at=datetime.now(UTC))
        for _, room, bot in found:
            await Membership.filter(room_id=room, user_id=bot).using_db(conn).delete()
