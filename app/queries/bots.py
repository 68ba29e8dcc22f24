"""What the admin page shows of bots, and what a bot reads through its API (its rooms, a
room's recent messages, as JSON-ready dicts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models import Bot, Membership, Message, Room, RoomKind

READ_LIMIT_MAX = 100  # messages per API read
READ_LIMIT_DEFAULT = 20


@dataclass(frozen=True)
class BotRow:
    """A bot as the admin page lists it: the bot, its rooms' (id, name)."""

    bot: Bot
    rooms: list[tuple[int, str]]


async def all_bots() -> list[BotRow]:
    """Every two-way bot, by name, with the rooms it is in."""
    bots = await Bot.all().prefetch_related("user").order_by("user__username_key")
    rows = []
    for bot in bots:
        rooms = await Membership.filter(user_id=bot.user_id).order_by("room__name") \
            .values_list("room_id", "room__name")
        rows.append(BotRow(bot, [(int(i), str(n)) for i, n in rooms]))
    return rows


async def rooms_for_bots() -> list[Room]:
    """The rooms an administrator may add a bot to: live, never a private conversation."""
    return await Room.filter(archived_at=None).exclude(kind=RoomKind.DIRECT).order_by("name")


async def bot_rooms(bot: Bot) -> list[dict[str, Any]]:
    """The rooms the bot is in, as the API lists them."""
    rooms = await Room.filter(memberships__user_id=bot.user_id, archived_at=None).order_by("name")
    return [{"id": room.id, "name": room.name, "kind": room.kind.value,
             "last_seq": room.last_seq} for room in rooms]


async def recent_messages(room: Room, limit: int) -> list[dict[str, Any]]:
    """The room's newest `limit` messages that are not deleted, oldest first, as JSON."""
    newest = await Message.filter(room_id=room.id, deleted_at=None).order_by("-seq") \
        .limit(limit).prefetch_related("author")
    return [{"id": m.id, "seq": m.seq, "author": m.author.username,
             "text": m.body, "reply_to": m.reply_to_id, "created_at": m.created_at.isoformat()}
            for m in reversed(newest)]
