"""A user's rooms on screen: read marks, joining and leaving, invitations, member lists."""

from __future__ import annotations

from app.live_views import frames
from app.live_views.messages import unread_badge
from app.live_views.state import Live, RoomState, Socket
from app.models import Membership, Room, RoomKind, User
from app.queries.direct_rooms import my_direct_rooms
from app.queries.members import invitations_for_user, room_members
from app.queries.presence import online_user_ids
from app.queries.rooms import my_rooms
from app.realtime.events import InvitationsChanged, MembersChanged, MembershipChanged, RoomRead


async def room_read(event: RoomRead, conns: list[Socket], live: Live, _: None) -> None:
    """The user read a room in one tab: their other tabs clear its badge."""
    badges: dict[tuple[int, bool, int, str], str] = {}
    for conn in conns:
        state = conn.rooms.get(event.room_id)
        if state is not None and event.seq > state.last_read:
            state.read_to(event.seq)
            if state.involvement.listed:
                conn.push(await unread_badge(event.room_id, state, badges))


async def membership_changed(event: MembershipChanged, conns: list[Socket], live: Live,
                             _: None) -> None:
    """Joining starts a user's sockets hearing the room at once; removal stops it at once.

    For a direct room the user's "Direct" sidebar section is re-rendered too (it lists the
    other members, so it is per user), so a conversation someone starts with them appears.
    """
    if await Room.filter(id=event.room_id, kind=RoomKind.DIRECT).exists():
        await _direct_sidebar(event.user_id, conns)
    else:
        await _rooms_sidebar(event.user_id, conns)
    if not event.member:
        notice = await frames.render("rooms/_removed_notice.html")
        for conn in conns:
            if conn.room_id == event.room_id:
                conn.push(notice)
            live.registry.leave_room(conn, event.room_id)
        return
    membership = await Membership.get_or_none(user_id=event.user_id, room_id=event.room_id) \
        .prefetch_related("room")
    if membership is not None:  # also sent when the member's involvement changed
        for conn in conns:
            known = conn.rooms.get(event.room_id)
            live.registry.join_room(conn, event.room_id, RoomState(
                membership.room.last_seq, membership.last_read_seq,
                known.mention_seq if known else 0, known.mention_count if known else 0,
                membership.involvement))


async def _rooms_sidebar(user_id: int, conns: list[Socket]) -> None:
    """The user's "My rooms" list again (per user: it holds their unread counts)."""
    user = await User.get_or_none(id=user_id) if conns else None
    if user is None:
        return
    rooms = await my_rooms(user)
    for conn in conns:
        conn.push(await frames.render("rooms/_sidebar_rooms.html", sidebar=rooms,
                                      current_room_id=conn.room_id, oob=True))


async def _direct_sidebar(user_id: int, conns: list[Socket]) -> None:
    rooms = await my_direct_rooms(user_id)
    for conn in conns:
        conn.push(await frames.render("direct/_sidebar_section.html", direct_sidebar=rooms,
                                      current_room_id=conn.room_id, oob=True))


async def invitations_changed(event: InvitationsChanged, conns: list[Socket], live: Live,
                              _: None) -> None:
    """The invitee's sidebar lists their invitations again, wherever they are."""
    invitations = await invitations_for_user(event.user_id)
    frame = await frames.render("invitations/_sidebar_section.html",
                                received_invitations=invitations, oob=True)
    for conn in conns:
        conn.push(frame)


async def members_changed(event: MembersChanged, conns: list[Socket], live: Live,
                          _: None) -> None:
    viewers = [c for c in conns if c.room_id == event.room_id]
    room = await Room.get_or_none(id=event.room_id) if viewers else None
    if room is None:
        return
    members = await room_members(room)
    online = await online_user_ids([m.user_id for m in members])
    frame = await frames.render("rooms/_members.html", room=room, members=members,
                                  online_user_ids=online, oob=True)
    count = await frames.render("rooms/_member_count.html", room=room, members=members, oob=True)
    for conn in viewers:
        conn.push(frame)
        conn.push(count)  # the header's member count
