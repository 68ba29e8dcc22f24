"""Who is in a room, who is invited to it, and which invitations wait for a user."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from tortoise import connections

from app.models import Invitation, Involvement, Membership, Room, User
from app.queries.presence import STALE_AFTER


async def room_members(room: Room) -> list[Membership]:
    """The room's memberships with their users, oldest member first (the hand-over order)."""
    return await Membership.filter(room_id=room.id).order_by("joined_at", "id") \
        .prefetch_related("user")


async def member_ids(room_id: int, limit: int) -> list[int]:
    """Up to `limit` member ids of a room (the member list a socket's page shows)."""
    ids = await Membership.filter(room_id=room_id).limit(limit).values_list("user_id", flat=True)
    return cast(list[int], ids)  # flat: the values (Tortoise types them as tuples)


async def member_of(room: Room, user_id: int) -> Membership | None:
    """`user_id`'s membership of the room with its user, or None if they are not a member."""
    return await Membership.get_or_none(room_id=room.id, user_id=user_id).prefetch_related("user")


async def membership_in(room_id: int, user_id: int) -> Membership | None:
    """`user_id`'s membership of a room by ids (a socket's read mark), or None."""
    return await Membership.get_or_none(room_id=room_id, user_id=user_id)


async def read_positions(user_id: int) -> list[tuple[int, int, int, Involvement]]:
    """(room id, its last seq, the user's last read seq, their involvement) for each live room
    the user is in."""
    rows = await Membership.filter(user_id=user_id, room__archived_at=None) \
        .values("room_id", "last_read_seq", "room__last_seq", "involvement")
    return [(r["room_id"], r["room__last_seq"], r["last_read_seq"], Involvement(r["involvement"]))
            for r in rows]


async def pending_invitations(room: Room) -> list[Invitation]:
    """Open invitations into the room, oldest first, with invitee and sender loaded."""
    return await Invitation.filter(room_id=room.id).order_by("created_at", "id") \
        .prefetch_related("invitee", "inviter")


async def invitations_for(user: User) -> list[Invitation]:
    """Open invitations addressed to `user` into rooms that still exist, newest first."""
    return await invitations_for_user(user.id)


async def invitations_for_user(user_id: int) -> list[Invitation]:
    """invitations_for, by user id (for the fan-out, which has only ids)."""
    return await Invitation.filter(invitee_id=user_id, room__archived_at=None) \
        .order_by("-created_at", "-id").prefetch_related("room", "inviter")


async def room_ids_of(user_id: int) -> list[int]:
    """The rooms a user is a member of (whose member lists show them)."""
    ids = await Membership.filter(user_id=user_id).values_list("room_id", flat=True)
    return cast(list[int], ids)  # flat: the values (Tortoise types them as tuples)


# The room page's aside in one statement: the members with their names, bot marks and whether
# they are online ($2: the oldest heartbeat that counts), and the open invitations into it.
_ASIDE_SQL = """
SELECT
  (SELECT coalesce(json_agg(json_build_object(
            'id', ms.id, 'user_id', ms.user_id, 'involvement', ms.involvement,
            'username', u.username, 'is_bot', u.is_bot, 'imported_from', u.imported_from,
            'online', EXISTS (SELECT 1 FROM presence p
                               WHERE p.user_id = ms.user_id AND p.heartbeat_at >= $2))
          ORDER BY ms.joined_at, ms.id), '[]')
     FROM memberships ms JOIN users u ON u.id = ms.user_id
    WHERE ms.room_id = $1) AS members,
  (SELECT coalesce(json_agg(json_build_object(
            'id', i.id, 'inviter_id', i.inviter_id, 'invitee', ie.username,
            'inviter', ir.username) ORDER BY i.created_at, i.id), '[]')
     FROM invitations i JOIN users ie ON ie.id = i.invitee_id
     LEFT JOIN users ir ON ir.id = i.inviter_id
    WHERE i.room_id = $1) AS invitations
"""


@dataclass(frozen=True)
class Named:
    """A person as a list names them."""

    id: int | None
    username: str
    is_bot: bool = False
    imported_from: str | None = None  # an account made by an import, until claimed

    @property
    def display_name(self) -> str:
        """As User.display_name: "alice (from Slack)" until alice claims it."""
        return f"{self.username} (from {self.imported_from})" if self.imported_from \
            else self.username


@dataclass(frozen=True)
class MemberLine:
    """A member in a room's member list (what rooms/_members.html reads)."""

    id: int
    user_id: int
    involvement: Involvement
    user: Named


@dataclass(frozen=True)
class PendingInvitation:
    """An open invitation into a room (what invitations/_pending.html reads)."""

    id: int
    inviter_id: int | None
    invitee: Named
    inviter: Named | None


@dataclass(frozen=True)
class Aside:
    members: list[MemberLine]
    online_user_ids: set[int]
    invitations: list[PendingInvitation]


async def room_aside(room: Room) -> Aside:
    """The members (oldest first), who of them is online and the open invitations, in one
    statement (room_members and pending_invitations give the same as ORM rows)."""
    rows = await connections.get("default").execute_query_dict(
        _ASIDE_SQL, [room.id, datetime.now(UTC) - STALE_AFTER])
    members = [MemberLine(m["id"], m["user_id"], Involvement(m["involvement"]),
                          Named(m["user_id"], m["username"], m["is_bot"],
                                m["imported_from"]))
               for m in _json(rows[0]["members"])]
    invitations = [PendingInvitation(i["id"], i["inviter_id"], Named(None, i["invitee"]),
                                     Named(i["inviter_id"], i["inviter"])
                                     if i["inviter"] else None)
                   for i in _json(rows[0]["invitations"])]
    online = {m["user_id"] for m in _json(rows[0]["members"]) if m["online"]}
    return Aside(members, online, invitations)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
