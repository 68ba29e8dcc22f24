"""Send-time checks: which outbox rows still deserve an e-mail, and the digest lines they make."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.mail.builders import Item
from app.mail.config import MailConfig
from app.mail.outbox import may_email
from app.mail.tokens import unsubscribe_token
from app.models import Attachment, Delivery, Membership, NotificationKind, PublicKey, User
from app.outbox.recheck import ROOM_KINDS, room_row_skip_reason
from app.outbox.text import excerpt
from app.queries.presence import is_online


@dataclass
class Checked:
    """A user's batch after the send-time checks."""

    items: list[Item] = field(default_factory=list)
    send: list[Delivery] = field(default_factory=list)  # rows the e-mail covers
    skip: list[Delivery] = field(default_factory=list)  # read, online, muted: no e-mail


async def recheck(user: User, rows: list[Delivery], cfg: MailConfig,
                  secret: str) -> Checked:
    """Split the rows into those still worth an e-mail (as digest lines) and those to skip."""
    checked = Checked()
    # Deactivated since, address changed and not yet verified, e-mail turned off, or back online.
    if not may_email(user) or await is_online(user.id, cfg.grace):
        checked.skip = list(rows)
        return checked
    dm_lines: dict[int, list[Delivery]] = {}
    for row in rows:
        if not await _still_unread(user, row):
            checked.skip.append(row)
        elif row.kind == NotificationKind.DIRECT_MESSAGE:
            assert row.room_id is not None, "a direct message is in a room"
            dm_lines.setdefault(row.room_id, []).append(row)
        else:
            checked.send.append(row)
            checked.items.append(await _room_item(user, row, cfg, secret))
    for room_id, group in dm_lines.items():  # one line per conversation: "alice sent you 3"
        checked.send.extend(group)
        actor = await User.get_or_none(id=group[0].actor_id)
        name = actor.username if actor else "someone"
        checked.items.append(Item(NotificationKind.DIRECT_MESSAGE, name, "", "",
                                  f"{cfg.base_url}/rooms/{room_id}", count=len(group)))
    return checked


async def _still_unread(user: User, row: Delivery) -> bool:
    if row.kind == NotificationKind.PRIVATE_REQUEST:  # moot once they have a key or left
        return not await PublicKey.exists(user_id=user.id) and \
            await Membership.exists(room_id=row.room_id, user_id=user.id)
    if row.kind in ROOM_KINDS:
        return await room_row_skip_reason(row) is None
    return True  # an invitation: its row is gone with it once answered


async def _room_item(user: User, row: Delivery, cfg: MailConfig, secret: str) -> Item:
    await row.fetch_related("room", "actor")
    actor = row.actor.username if row.actor else "someone"
    if row.kind == NotificationKind.PRIVATE_REQUEST:
        return Item(row.kind, actor, "", "", f"{cfg.base_url}/rooms/{row.room_id}")
    room, message = row.room, row.message
    assert room is not None, "an invitation or a message notification names its room"
    if row.kind == NotificationKind.INVITATION:
        return Item(row.kind, actor, room.name, "", f"{cfg.base_url}/rooms")
    mute = f"{cfg.base_url}/unsubscribe/{unsubscribe_token(secret, user.id, row.room_id)}"
    assert message is not None, "a room notification is about a message"
    attachment = await Attachment.get_or_none(id=message.attachment_id) \
        if message.attachment_id else None
    return Item(row.kind, actor, room.name, excerpt(message.body),
                f"{cfg.base_url}/rooms/{row.room_id}", mute,
                file_name=attachment.name if attachment else "")
