"""Leaving rooms and removing members, with ownership hand-over and archiving of empty rooms.

A webhook speaks for the member who made it: when they go, it goes (revoked, its bot out of
the room). Bots never own a room, and a private room with only bots left in it is empty.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from app.actions.webhooks import revoke_room_webhooks
from app.models import Invitation, Membership, Room, RoomKind, User
from app.realtime.events import InvitationsChanged, MembersChanged, MembershipChanged
from app.realtime.publish import in_transaction, publish


async def leave_room(room: Room, user: User) -> Room:
    """Take `user` out of the room; the room as it is afterwards (new owner, maybe archived)."""
    async with in_transaction() as conn:
        locked = await Room.select_for_update().using_db(conn).get(id=room.id)
        await Membership.filter(room_id=room.id, user_id=user.id).using_db(conn).delete()
        invitees = await _withdraw_invitations_sent_by(room, user, conn)
        await revoke_room_webhooks(room.id, conn, Q(creator_id=user.id) | Q(bot_id=user.id))
        invitees += await _settle_after_departure(locked, user, conn)
        # Every process drops this user's subscription to the room the moment this commits.
        events = [MembershipChanged(user_id=user.id, room_id=room.id, member=False),
                  MembersChanged(room_id=room.id),
                  *(InvitationsChanged(user_id=uid) for uid in invitees)]
        for event in events:
            await publish(event, using_db=conn)
    return locked


async def remove_member(room: Room, member: User) -> Room:
    """The owner takes `member` out of the room; their next request for it is refused."""
    return await leave_room(room, member)


async def _withdraw_invitations_sent_by(room: Room, departed: User,
                                        conn: BaseDBAsyncClient) -> list[int]:
    """Invitations die with their sender's membership: whoever they let in, the sender chose.

    Returns the ids of the users whose invitations were withdrawn.
    """
    sent = Invitation.filter(room_id=room.id, inviter_id=departed.id).using_db(conn)
    invitees = cast(list[int], await sent.values_list("invitee_id", flat=True))  # flat: values
    await sent.delete()
    return invitees


async def _settle_after_departure(room: Room, departed: User,
                                  conn: BaseDBAsyncClient) -> list[int]:
    """Hand ownership to the oldest person if the owner went; archive a private room no person
    is left in (a webhook's bot is nobody: it neither owns a room nor keeps one alive).

    Returns the ids of users whose invitations into the room were withdrawn by archiving it.
    """
    changed: list[str] = []
    invitees: list[int] = []
    people = Membership.filter(room_id=room.id, user__is_bot=False).using_db(conn)
    if room.owner_id == departed.id:
        oldest = await people.order_by("joined_at", "id").first()
        room.owner_id = oldest.user_id if oldest else None
        changed.append("owner_id")
    if room.kind != RoomKind.PUBLIC and not await people.exists():
        # Archived, not deleted: the history is kept, but nobody can reach it any more, and
        # no webhook posts into it (nobody would read it; nobody could revoke it).
        room.archived_at = datetime.now(UTC)
        changed.append("archived_at")
        await revoke_room_webhooks(room.id, conn)
        invitees = cast(list[int], await Invitation.filter(room_id=room.id).using_db(conn)
                        .values_list("invitee_id", flat=True))  # flat: the values
        await Invitation.filter(room_id=room.id).using_db(conn).delete()
    if changed:
        await room.save(update_fields=changed, using_db=conn)
    return invitees

