"""Turning bus events into frames for this process's sockets: load once, render once, send."""

from __future__ import annotations

import time
from collections.abc import Iterable

from quart import Quart

from app.models import DirectMessage, Membership, Message, Room
from app.queries.members import invitations_for_user, room_members
from app.queries.messages import MESSAGE_RELATIONS
from app.realtime import frames, notices
from app.realtime.connections import CLOSE_SERVICE_RESTART, Connection, Registry, RoomState
from app.realtime.events import (
    DirectMessageCreated,
    DirectTyping,
    Event,
    InvitationsChanged,
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
Scope = tuple[str, int]


class Fanout:
    """Delivers events to local connections; keeps the typing state of rooms it serves."""

    def __init__(self, registry: Registry, app: Quart) -> None:
        self.registry = registry
        self.app = app
        # Who types where: ("room", id) or ("dm", conversation id) -> user id -> (name, until).
        self.typists: dict[Scope, dict[int, tuple[str, float]]] = {}
        self._dm_people: dict[int, tuple[int, int]] = {}

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
        rows = await Message.filter(id__in=wanted).prefetch_related(*MESSAGE_RELATIONS, "room") \
            if wanted else []
        messages = {m.id: m for m in rows}
        for event in events:
            if isinstance(event, MessageCreated) and event.message_id in messages:
                await self._message_created(event, messages[event.message_id])
            elif isinstance(event, Typing) and event.room_id in self.registry.by_room:
                await self._typing(("room", event.room_id), event.user_id, event.username,
                                   event.stopped)
            elif isinstance(event, DirectTyping) and event.recipient_id in self.registry.by_user:
                self._dm_people[event.conversation_id] = (event.user_id, event.recipient_id)
                await self._typing(("dm", event.conversation_id), event.user_id, event.username,
                                   event.stopped)
            elif isinstance(event, DirectMessageCreated) and \
                    {event.sender_id, event.recipient_id} & self.registry.by_user.keys():
                await self._direct_message(event)
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

    async def resync(self) -> None:
        """The bus lost events: every local client reconnects and catches up from the table."""
        for conn in self.registry.all():
            conn.close(CLOSE_SERVICE_RESTART)

    async def _expire_typing(self) -> None:
        now = time.monotonic()
        for scope, typists in list(self.typists.items()):
            expired = [uid for uid, (_, until) in typists.items() if until <= now]
            for user_id in expired:
                del typists[user_id]
            if expired:
                await self._send_typing(scope)

    async def _message_created(self, event: MessageCreated, message: Message) -> None:
        html = await render_fragment("messages/_message.html", message=message)
        frame = frames.append(dom_id_for("room", event.room_id, "messages"), html)
        unread_frames: dict[int, str] = {}
        notice: str | None = None
        for conn in list(self.registry.by_room.get(event.room_id, ())):
            state = conn.rooms[event.room_id]
            state.last_seq = max(state.last_seq, event.seq)
            if conn.user_id == event.author_id:
                state.last_read = max(state.last_read, event.seq)
            if conn.room_id == event.room_id:
                conn.push(frame)
            else:
                conn.push(await self._unread_frame(event.room_id, state.unread, unread_frames))
                if conn.user_id != event.author_id:
                    notice = notice or await notices.room_notice(message)
                    conn.push(notice)
        if self.typists.get(("room", event.room_id), {}).pop(event.author_id, None):
            await self._send_typing(("room", event.room_id))

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

    async def _direct_message(self, event: DirectMessageCreated) -> None:
        viewers = [conn for uid in (event.sender_id, event.recipient_id)
                   for conn in self.registry.by_user.get(uid, ())
                   if conn.conversation_id == event.conversation_id]
        elsewhere = [conn for conn in self.registry.by_user.get(event.recipient_id, ())
                     if conn.conversation_id != event.conversation_id]
        if viewers or elsewhere:
            message = await DirectMessage.get(id=event.message_id).prefetch_related("sender")
        if viewers:
            html = await render_fragment("dm/_message.html", message=message)
            frame = frames.append(dom_id_for("conversation", event.conversation_id, "messages"),
                                  html)
            for conn in viewers:
                conn.push(frame)
        if elsewhere:
            notice = await notices.direct_notice(message)
            for conn in elsewhere:
                conn.push(notice)
        scope: Scope = ("dm", event.conversation_id)
        if self.typists.get(scope, {}).pop(event.sender_id, None):
            await self._send_typing(scope)

    async def _typing(self, scope: Scope, user_id: int, username: str, stopped: bool) -> None:
        typists = self.typists.setdefault(scope, {})
        if stopped:
            if typists.pop(user_id, None) is None:
                return
        else:
            fresh = user_id not in typists
            typists[user_id] = (username, time.monotonic() + TYPING_TTL)
            if not fresh:
                return  # the notice on screen is unchanged; only its expiry moved
        await self._send_typing(scope)

    async def _send_typing(self, scope: Scope) -> None:
        """Each viewer sees the others who type: one render per distinct viewer group."""
        typists = self.typists.get(scope, {})
        kind, key_id = scope
        typing_id = dom_id_for("room" if kind == "room" else "conversation", key_id, "typing")
        rendered: dict[int | None, str] = {}
        for conn in self._scope_viewers(scope):
            key = conn.user_id if conn.user_id in typists else None
            if key not in rendered:
                names = sorted(name for uid, (name, _) in typists.items() if uid != key)
                rendered[key] = await render_fragment(
                    "rooms/_typing.html", typing_id=typing_id,
                    sentence=typing_sentence(names), oob=True)
            conn.push(rendered[key])
        if not typists:
            self.typists.pop(scope, None)

    def _scope_viewers(self, scope: Scope) -> Iterable[Connection]:
        kind, key = scope
        if kind == "room":
            return self._viewers(key)
        return [conn for uid in self._dm_people.get(key, ())
                for conn in self.registry.by_user.get(uid, ()) if conn.conversation_id == key]

    async def _room_read(self, event: RoomRead) -> None:
        cache: dict[int, str] = {}
        for conn in self.registry.by_user.get(event.user_id, ()):
            state = conn.rooms.get(event.room_id)
            if state is not None and event.seq > state.last_read:
                state.last_read = event.seq
                conn.push(await self._unread_frame(event.room_id, state.unread, cache))

    async def _membership_changed(self, event: MembershipChanged) -> None:
        conns = list(self.registry.by_user.get(event.user_id, ()))
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

    async def _invitations_changed(self, event: InvitationsChanged) -> None:
        invitations = await invitations_for_user(event.user_id)
        frame = await render_fragment("invitations/_received.html", invitations=invitations,
                                      oob=True)
        for conn in self.registry.by_user.get(event.user_id, ()):
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
