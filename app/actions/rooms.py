"""Creating rooms, joining them, renaming them, and marking them read."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from app.errors import InvalidInput
from app.models import Membership, Room, RoomKind, User
from app.realtime.events import MembersChanged, MembershipChanged, RoomRead
from app.realtime.publish import in_transaction, publish

NAME_MAX, TOPIC_MAX = 80, 250


async def create_room(owner: User, name: str, topic: str = "",
                      visibility: RoomKind | str = RoomKind.PUBLIC) -> Room:
    """Create a public or private room owned by `owner`, who becomes its first member."""
    name, topic, errors = _clean_details(name, topic)
    chosen = _parse_visibility(visibility)
    if chosen is None:
        errors["visibility"] = "Choose public or private."
    if errors:
        raise InvalidInput(errors)
    async with in_transaction() as conn:
        room = await Room.create(name=name, topic=topic, kind=chosen, owner=owner,
                                 using_db=conn)
        await Membership.create(room=room, user=owner, using_db=conn)
    return room


async def update_room(room: Room, name: str, topic: str) -> Room:
    """Rename the room and set its topic (the caller checked the user owns it)."""
    name, topic, errors = _clean_details(name, topic)
    if errors:
        raise InvalidInput(errors)
    room.name, room.topic = name, topic
    await room.save(update_fields=["name", "topic"])
    return room


async def join_room(room: Room, user: User) -> Membership:
    """Add `user` to a room they may join (the caller checked that); joining twice is a no-op."""
    existing = await Membership.get_or_none(room_id=room.id, user_id=user.id)
    if existing:
        return existing
    try:
        membership = await Membership.create(room_id=room.id, user_id=user.id,
                                             last_read_seq=room.last_seq)
    except IntegrityError:  # a double click raced us; the membership exists now
        return await Membership.get(room_id=room.id, user_id=user.id)
    # A public room its members all left has no owner; whoever comes back first takes it on.
    await Room.filter(id=room.id, owner_id=None).update(owner_id=user.id)
    await publish(MembershipChanged(user_id=user.id, room_id=room.id, member=True))
    await publish(MembersChanged(room_id=room.id))
    return membership


async def mark_room_read(membership: Membership, seq: int) -> None:
    """Move the user's read marker forward to `seq` (never backward); their tabs hear of it.

    Reading the room also lets e-mails about it come again (one e-mail per time away).
    """
    if seq > membership.last_read_seq:
        async with in_transaction() as conn:
            moved = await Membership.filter(id=membership.id, last_read_seq__lt=seq) \
                .using_db(conn).update(last_read_seq=seq, email_held=False)
            if moved:
                await publish(RoomRead(user_id=membership.user_id, room_id=membership.room_id,
                                       seq=seq), using_db=conn)
        membership.last_read_seq = seq


def _clean_details(name: str, topic: str) -> tuple[str, str, dict[str, str]]:
    name, topic = " ".join(name.split()), " ".join(topic.split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the room a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Room names can be at most {NAME_MAX} characters."
    if len(topic) > TOPIC_MAX:
        errors["topic"] = f"Topics can be at most {TOPIC_MAX} characters."
    return name, topic, errors


def _parse_visibility(value: RoomKind | str) -> RoomKind | None:
    """Public or private: direct rooms are made by actions/direct_rooms.py, never by this form."""
    if value in (RoomKind.PUBLIC, RoomKind.PRIVATE, ""):
        return RoomKind(value or RoomKind.PUBLIC)
    return None
