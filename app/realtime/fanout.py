"""Turning bus events into frames for this process's sockets: load once, render once, send."""

from __future__ import annotations

import time
from collections.abc import Iterable

from quart import Quart

from app.models import Membership, Message, Room, RoomKind
from app.queries.direct_rooms import my_direct_rooms
from app.queries.members import invitations_for_user, room_members
from app.queries.messages import MESSAGE_RELATIONS
from app.realtime import frames
from app.realtime.connections import CLOSE_SERVICE_RESTART, Connection, Registry, RoomState
from app.realtime.events import (
    Event,
    InvitationsChanged,
    KeyPublished,
    MembersChanged,
    MembershipChanged,
    MessageChanged,
    MessageCreated,
    RoomRead,
    Typing,
)
from app.realtime.presence import online_user_ids
from app.rendering import dom_id_for, render_fragment, typing_sentence

TYPING_TTL = 5.0  # seconds a typing notice lives without a fresh ping


class Fanout:
    """Delivers events to local connections; keeps the typing state of rooms it serves."""

    def __init__(self, registry: Registry, app: Quart) -> None:
        self.registry = registry
        self.app = app
        # Who types where: room id -> user id -> (name, until).
        self.typists: dict[int, dict[int, tuple[str, float]]] = {}

    async def deliver(self, events: list[Event]) -> None:
        """Handle a batch of events in order (messages of the batch are fetched in one query)."""
        # A bare request context: url_for works in fragments, and there is no viewer in it.
        async with self.app.test_request_context("/"):
            await self._deliver(events)

    async def expire_typing(self) -> None:
        """Drop typing notices whose pings stopped (a dropped connection leaves no ghost)."""
        async with self.app.test_request_context("/"):
            await self._expire_typing()

    async def _deliver(self, events: list[Event]) -> None:
        wanted = [e.message_id for e in events
                  if isinstance(e, MessageCreated) and e.room_id in self.registry.by_room]
        rows = await Message.filter(id__in=wanted).prefetch_related(*MESSAGE_RELATIONS) \
            if wanted else []
        messages = {m.id: m for m in rows}
        for event in events:
            if isinstance(event, MessageCreated) and event.message_id in messages:
                await self._message_created(event, messages[event.message_id])
            elif isinstance(event, Typing) and event.room_id in self.registry.by_room:
                await self._typing(event.room_id, event.user_id, event.username, event.stopped)
            elif isinstance(event, RoomRead) and event.user_id in self.registry.by_user:
                await self._room_read(event)
            elif isinstance(event, MembershipChanged) and event.user_id in self.registry.by_user:
                await self._membership_changed(event)
            elif isinstance(event, InvitationsChanged) and event.user_id in self.registry.by_user:
                await self._invitations_changed(event)
            elif isinstance(event, MembersChanged) and event.room_id in self.registry.by_room:
                await self._members_changed(event)
            elif isinstance(event, MessageChanged) and event.room_id in self.registry.by_room:
                await self._message_changed(event)
            elif isinstance(event, KeyPublished) and event.user_id in self.registry.by_user:
                await self._key_published(event)

    async def resync(self) -> None:
        """The bus lost events: every local client reconnects and catches up from the table."""
        for conn in self.registry.all():
            conn.close(CLOSE_SERVICE_RESTART)

    async def _expire_typing(self) -> None:
        now = time.monotonic()
        for room_id, typists in list(self.typists.items()):
            expired = [uid for uid, (_, until) in typists.items() if until <= now]
            for user_id in expired:
                del typists[user_id]
            if expired:
                await self._send_typing(room_id)

    async def _message_created(self, event: MessageCreated, message: Message) -> None:
        html = await render_fragment("messages/_message.html", message=message)
        frame = frames.append(dom_id_for("room", event.room_id, "messages"), html)
        unread_frames: dict[int, str] = {}
        for conn in list(self.registry.by_room.get(event.room_id, ())):
            state = conn.rooms[event.room_id]
            state.last_seq = max(state.last_seq, event.seq)
            if conn.user_id == event.author_id:
                state.last_read = max(state.last_read, event.seq)
            if conn.room_id == event.room_id:
                conn.push(frame)
            else:
                conn.push(await self._unread_frame(event.room_id, state.unread, unread_frames))
        if self.typists.get(event.room_id, {}).pop(event.author_id, None):
            await self._send_typing(event.room_id)

    async def _message_changed(self, event: MessageChanged) -> None:
        viewers = list(self._viewers(event.room_id))
        message = await Message.get_or_none(id=event.message_id) \
            .prefetch_related(*MESSAGE_RELATIONS) if viewers else None
        if message is None or message.change_seq != event.change_seq:
            return  # a later change is on its way and will carry the newer state
        # Replaced in place by id; a tab that does not show the message ignores the frame.
        frame = await render_fragment("messages/_message.html", message=message, oob=True)
        for conn in viewers:
            conn.push(frame)

    async def _typing(self, room_id: int, user_id: int, username: str, stopped: bool) -> None:
        typists = self.typists.setdefault(room_id, {})
        if stopped:
            if typists.pop(user_id, None) is None:
                return
        else:
            fresh = user_id not in typists
            typists[user_id] = (username, time.monotonic() + TYPING_TTL)
            if not fresh:
                return  # the notice on screen is unchanged; only its expiry moved
        await self._send_typing(room_id)

    async def _send_typing(self, room_id: int) -> None:
        """Each viewer sees the others who type: one render per distinct viewer group."""
        typists = self.typists.get(room_id, {})
        typing_id = dom_id_for("room", room_id, "typing")
        rendered: dict[int | None, str] = {}
        for conn in self._viewers(room_id):
            key = conn.user_id if conn.user_id in typists else None
            if key not in rendered:
                names = sorted(name for uid, (name, _) in typists.items() if uid != key)
                rendered[key] = await render_fragment(
                    "rooms/_typing.html", typing_id=typing_id,
                    sentence=typing_sentence(names), oob=True)
            conn.push(rendered[key])
        if not typists:
            self.typists.pop(room_id, None)

    async def _room_read(self, event: RoomRead) -> None:
        cache: dict[int, str] = {}
        for conn in self.registry.by_user.get(event.user_id, ()):
            state = conn.rooms.get(event.room_id)
            if state is not None and event.seq > state.last_read:
                state.last_read = event.seq
                conn.push(await self._unread_frame(event.room_id, state.unread, cache))

    async def _membership_changed(self, event: MembershipChanged) -> None:
        conns = list(self.registry.by_user.get(event.user_id, ()))
        if await Room.filter(id=event.room_id, kind=RoomKind.DIRECT).exists():
            await self._direct_sidebar(event.user_id, conns)
        if not event.member:
            notice = await render_fragment("rooms/_removed_notice.html")
            for conn in conns:
                if conn.room_id == event.room_id:
                    conn.push(notice)
                self.registry.leave_room(conn, event.room_id)
            return
        membership = await Membership.get_or_none(user_id=event.user_id, room_id=event.room_id) \
            .prefetch_related("room")
        if membership is not None:
            for conn in conns:
                self.registry.join_room(conn, event.room_id, RoomState(
                    membership.room.last_seq, membership.last_read_seq))

    async def _direct_sidebar(self, user_id: int, conns: list[Connection]) -> None:
        """The user's "Direct" sidebar section, re-rendered when they join or leave one."""
        rooms = await my_direct_rooms(user_id)
        for conn in conns:
            conn.push(await render_fragment("direct/_sidebar_section.html", direct_sidebar=rooms,
                                            current_room_id=conn.room_id, oob=True))

    async def _invitations_changed(self, event: InvitationsChanged) -> None:
        invitations = await invitations_for_user(event.user_id)
        frame = await render_fragment("invitations/_received.html", invitations=invitations,
                                      oob=True)
        for conn in self.registry.by_user.get(event.user_id, ()):
            conn.push(frame)

    async def _key_published(self, event: KeyPublished) -> None:
        frame = await render_fragment("direct/_key_notice.html",
                                      notice_id=dom_id_for("room", event.room_id, "key-notice"),
                                      owner_id=event.owner_id, username=event.username,
                                      first=event.first, oob=True)
        for conn in self.registry.by_user.get(event.user_id, ()):
            if conn.room_id == event.room_id:
                conn.push(frame)

    async def _members_changed(self, event: MembersChanged) -> None:
        viewers = list(self._viewers(event.room_id))
        room = await Room.get_or_none(id=event.room_id)
        if not viewers or room is None:
            return
        members = await room_members(room)
        online = await online_user_ids([m.user_id for m in members])
        frame = await render_fragment("rooms/_members.html", room=room, members=members,
                                      online_user_ids=online, oob=True)
        for conn in viewers:
            conn.push(frame)

    def _viewers(self, room_id: int) -> Iterable[Connection]:
        return [c for c in self.registry.by_room.get(room_id, ()) if c.room_id == room_id]

    @staticmethod
    async def _unread_frame(room_id: int, unread: int, cache: dict[int, str]) -> str:
        if unread not in cache:
            cache[unread] = await render_fragment(
                "rooms/_unread.html", unread_id=dom_id_for("room", room_id, "unread"),
                unread=unread, oob=True)
        return cache[unread]
