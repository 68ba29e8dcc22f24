"""Invitations into private rooms: sending, accepting, declining and revoking them."""

from __future__ import annotations

from datetime import timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from app.access import can_invite
from app.actions.accounts import USERNAME
from app.errors import Forbidden, InvalidInput
from app.mail.outbox import enqueue_invitation
from app.models import Invitation, Membership, Room, User
from app.realtime.events import Event, InvitationsChanged, MembersChanged, MembershipChanged
from app.realtime.publish import in_transaction, publish

WITHDRAWN = ("This invitation was withdrawn: the person who sent it is no longer a member of "
             "the room. Ask a member to invite you again.")


async def invite_member(room: Room, inviter: User, username: str, *,
                        grace: timedelta) -> Invitation:
    """Invite the user called `username`; InvalidInput says why someone cannot be invited.

    `grace`: how long after their last connection the invitee still counts as online (no e-mail).
    """
    username = username.strip().lstrip("@")
    invitee = await User.get_or_none(username_key=username.lower()) \
        if USERNAME.match(username) else None
    _refuse_if(not username, "Enter the username of the person to invite.")
    _refuse_if(invitee is None, f"There is no user called “{username[:40]}”.")
    assert invitee is not None
    _refuse_if(invitee.id == inviter.id, "You are already a member; invite someone else.")
    _refuse_if(await Membership.exists(room_id=room.id, user_id=invitee.id),
               f"{invitee.username} is already a member of this room.")
    _refuse_if(await Invitation.exists(room_id=room.id, invitee_id=invitee.id),
               f"{invitee.username} has already been invited.")
    try:
        async with in_transaction() as conn:
            invitation = await Invitation.create(room_id=room.id, invitee_id=invitee.id,
                                                 inviter_id=inviter.id, using_db=conn)
            await enqueue_invitation(invitation, conn, grace)
            await publish(InvitationsChanged(user_id=invitee.id), using_db=conn)
    except IntegrityError as exc:  # someone else invited them a moment ago
        raise InvalidInput({"username": f"{invitee.username} has already been invited."}) from exc
    invitation.room, invitation.invitee, invitation.inviter = room, invitee, inviter
    return invitation


async def accept_invitation(invitation: Invitation) -> Membership:
    """Make the invitee a member (they see the room's full history) and close the invitation.

    The inviter must still be a member who may invite (checked under the room's lock, which
    leaving takes too); otherwise the invitation is withdrawn and Forbidden says why.
    """
    async with in_transaction() as conn:
        room = await Room.select_for_update().using_db(conn).get(id=invitation.room_id)
        valid = await _inviter_may_still_invite(room, invitation, conn)
        membership = await Membership.get_or_none(room_id=room.id, user_id=invitation.invitee_id,
                                                  using_db=conn)
        if membership is None and valid:
            # Read marker at the newest message, so the history is there but not all "unread".
            membership = await Membership.create(room_id=room.id, user_id=invitation.invitee_id,
                                                 last_read_seq=room.last_seq, using_db=conn)
        await Invitation.filter(id=invitation.id).using_db(conn).delete()
        events: list[Event] = [InvitationsChanged(user_id=invitation.invitee_id)]
        if valid:
            events += [MembershipChanged(user_id=invitation.invitee_id, room_id=room.id,
                                         member=True), MembersChanged(room_id=room.id)]
        for event in events:
            await publish(event, using_db=conn)
    if membership is None:
        raise Forbidden(WITHDRAWN)
    return membership


async def decline_invitation(invitation: Invitation) -> None:
    """The invitee says no: the invitation is closed and they stay outside the room."""
    await _close(invitation)


async def revoke_invitation(invitation: Invitation) -> None:
    """The sender or the owner takes the invitation back before it is accepted."""
    await _close(invitation)


async def _close(invitation: Invitation) -> None:
    async with in_transaction() as conn:
        await Invitation.filter(id=invitation.id).using_db(conn).delete()
        await publish(InvitationsChanged(user_id=invitation.invitee_id), using_db=conn)


async def _inviter_may_still_invite(room: Room, invitation: Invitation,
                                    conn: BaseDBAsyncClient) -> bool:
    """The sender is still in the room, and the room still takes invitations."""
    return invitation.inviter_id is not None and can_invite(room) and await Membership.filter(
        room_id=room.id, user_id=invitation.inviter_id).using_db(conn).exists()


def _refuse_if(condition: bool, message: str) -> None:
    if condition:
        raise InvalidInput({"username": message})
