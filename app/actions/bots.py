"""Two-way bots: making one (a bot account, an API key shown once, a signing secret), rotating
its key, adding it to rooms and taking it out, and posting as it (its API, its answers)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from app.actions.accounts import USERNAME, bot_called, person_called
from app.actions.messages import create_message
from app.errors import BOT_NOT_IN_DIRECT, Forbidden, InvalidInput
from app.mail.config import presence_grace
from app.models import Bot, Membership, Message, Room, RoomKind, User
from app.outbound import OutboundGuard, OutboundRefused
from app.realtime.publish import in_transaction
from app.security import secret_digest
from app.slack_payload import payload_markdown
from config.settings import Settings

URL_MAX = 2000


def new_api_key() -> str:
    """A fresh API key: "pbk_" and 32 random bytes (only its hash is stored)."""
    return "pbk_" + secrets.token_urlsafe(32)


async def create_bot(name: str, url: str, guard: OutboundGuard | None = None
                     ) -> tuple[Bot, str]:
    """A bot called `name` (called at `url` when mentioned, if given); returns it and its key.

    The name follows the rules of usernames, so `@name` mentions it, and is no person's or
    other bot's: nobody mistakes a bot's messages for a person's. `guard` checks the URL now
    (the address guard checks it again before every call).
    """
    name, url = name.strip().lstrip("@"), url.strip()
    if not USERNAME.match(name):
        raise InvalidInput({"bot_name": "A bot's name is 2-32 letters, digits, dots, dashes or "
                                        "underscores, starting with a letter or digit, so "
                                        "people can @mention it."})
    if await person_called(name) or await bot_called(name):
        raise InvalidInput({"bot_name": f"“{name}” is taken: bots and people never share a "
                                        "name."})
    if len(url) > URL_MAX or (url and not url.startswith(("https://", "http://"))):
        raise InvalidInput({"bot_url": "The bot's URL must start with https:// (or http:// on "
                                       "an allowed network)."})
    if url and guard is not None:
        await check_bot_url(guard, url)
    key = new_api_key()
    async with in_transaction() as conn:
        # "!" is no password hash, and is_bot keeps it out of log-in: nobody logs in as it.
        user = await User.create(username=name, username_key=name.lower(), email="",
                                 password_hash="!", is_bot=True, using_db=conn)
        bot = await Bot.create(user=user, url=url or None, key_hash=secret_digest(key),
                               signing_secret=secrets.token_hex(32), using_db=conn)
    bot.user = user
    return bot, key


async def check_bot_url(guard: OutboundGuard, url: str) -> None:
    """InvalidInput saying why, when Parley would not call `url` (app/outbound.py)."""
    try:
        destination = await guard.check(url, schemes=("https", "http"))
    except OutboundRefused as exc:
        raise InvalidInput({"bot_url": str(exc)}) from None
    if destination.scheme == "http" and not destination.allowed_network:
        raise InvalidInput({"bot_url": "Use https:// (plain http:// only reaches the networks "
                                       "OUTBOUND_ALLOWED_NETWORKS allows)."})


async def rotate_bot_key(bot: Bot) -> str:
    """A new API key for the bot; the old one stops working at once."""
    key = new_api_key()
    bot.key_hash = secret_digest(key)
    await bot.save(update_fields=["key_hash"])
    return key


async def add_bot_to_room(bot: Bot, room: Room) -> bool:
    """Make the bot a member of `room` (False when it was one already); never a direct room."""
    if room.kind == RoomKind.DIRECT:
        raise Forbidden(BOT_NOT_IN_DIRECT)
    if room.archived_at is not None:
        raise InvalidInput({"bot_room": "That room is archived."})
    _, created = await Membership.get_or_create(
        room_id=room.id, user_id=bot.user_id, defaults={"last_read_seq": room.last_seq})
    return created


async def remove_bot_from_room(bot: Bot, room_id: int) -> None:
    """The bot leaves the room; its messages stay."""
    await Membership.filter(room_id=room_id, user_id=bot.user_id).delete()


async def post_as_bot(bot: Bot, room: Room, payload: dict[str, Any], settings: Settings,
                      client_msg_id: str | None = None, reply_to: int | None = None) -> Message:
    """Post a Slack-style payload (text, mrkdwn, blocks) into `room` as the bot.

    `client_msg_id` makes a retried post (the same call answered twice) post once;
    `reply_to`: the message it answers (shown quoted; dropped if that one was deleted).
    """
    members = await Membership.filter(room_id=room.id).values_list("user__username", flat=True)
    body = payload_markdown(payload, [str(name) for name in members])
    author = await User.get(id=bot.user_id)
    grace = presence_grace(settings)
    try:
        message = await create_message(room, author, body, client_msg_id,
                                       max_chars=settings.message_max_chars, grace=grace,
                                       reply_to=None if reply_to is None else str(reply_to))
    except InvalidInput as exc:
        if reply_to is None or "reply_to" not in exc.errors:
            raise
        message = await create_message(room, author, body, client_msg_id,
                                       max_chars=settings.message_max_chars, grace=grace)
    await Bot.filter(id=bot.id).update(last_used_at=datetime.now(UTC))
    return message
