"""A member's involvement in a room: how much of it reaches them (badge, notifications, push,
e-mail), and an invisible room coming back to the sidebar when it is opened again."""

from __future__ import annotations

from app.errors import InvalidInput
from app.models import Delivery, Involvement, Membership, NotificationStatus
from app.realtime.events import MembershipChanged
from app.realtime.publish import publish

CHOICES = "Choose everything, mentions only, nothing, or invisible."


async def update_involvement(membership: Membership, value: str) -> Membership:
    """Set how much of the room reaches the member; their tabs re-list their rooms."""
    try:
        membership.involvement = Involvement(value)
    except ValueError:
        raise InvalidInput({"involvement": CHOICES}) from None
    await membership.save(update_fields=["involvement"])
    if membership.involvement in (Involvement.NOTHING, Involvement.INVISIBLE):
        await _skip_pending_mail(membership)
    # The member's sockets take the new involvement for the badge, and the sidebar lists
    # (or no longer lists) the room.
    await publish(MembershipChanged(user_id=membership.user_id, room_id=membership.room_id,
                                    member=True))
    return membership


async def reveal_room(membership: Membership) -> Membership:
    """An invisible room the member opens again is listed again, at the default involvement."""
    if membership.involvement == Involvement.INVISIBLE:
        await update_involvement(membership, Involvement.MENTIONS)
    return membership


async def _skip_pending_mail(membership: Membership) -> None:
    """E-mail and pushes waiting about the room are not wanted any more (as the send-time
    re-check would say)."""
    await Delivery.filter(user_id=membership.user_id, room_id=membership.room_id,
                          status=NotificationStatus.PENDING) \
        .update(status=NotificationStatus.SKIPPED, last_error="muted")
