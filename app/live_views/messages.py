"""New and changed room messages: one render per message, pushed to viewers; badges elsewhere."""

from __future__ import annotations

import logging

from app.live_views import frames, notices
from app.live_views.fragments import MESSAGE, cached_fragment, dress, message_html
from app.live_views.state import Live, RoomState, Socket
from app.live_views.typing import push_typing, room_scope
from app.mentions import mentioned_names
from app.models import Involvement, Message, ThreadFollow
from app.queries.messages import MESSAGE_RELATIONS
from app.queries.threads import attach_thread_summaries
from app.realtime.events import MessageChanged, MessageCreated
from app.rendering import dom_id_for

log = logging.getLogger("parley.live")


async def load_messages(events: list[MessageCreated]) -> dict[int, Message]:
    """The batch's new messages in one query."""
    rows = await Message.filter(id__in=[e.message_id for e in events]) \
        .prefetch_related(*MESSAGE_RELATIONS, "room")  # the room's name, for notices
    return {m.id: m for m in rows}


async def message_created(event: MessageCreated, conns: list[Socket], live: Live,
                          messages: dict[int, Message]) -> None:
    message = messages.get(event.message_id)
    if message is None:  # deleted since (its deletion follows on the bus) — or a bug
        log.warning("announced message %s of room %s was not found", event.message_id,
                    event.room_id)
        return
    html = message_html(message)  # the poster's answer may have rendered it
    if message.thread_root_id is not None:
        await thread_reply_created(event, conns, message, html)
        if message.in_thread_only:
            return
    frame = frames.append(dom_id_for("room", event.room_id, "messages"), html)
    mentioned = mentioned_names(message.body)
    badges: dict[tuple[int, bool, int, str], str] = {}
    notice: str | None = None
    for conn in conns:
        state = conn.rooms.get(event.room_id)
        if state is None:
            continue
        state.last_seq = max(state.last_seq, event.seq)
        if conn.user_id == event.author_id:
            state.read_to(event.seq)
        elif conn.username.lower() in mentioned:
            state.mentioned_at(event.seq)
        if conn.room_id == event.room_id:
            conn.push(frame)
        elif state.involvement.listed:  # an invisible room has no badge to update
            conn.push(await unread_badge(event.room_id, state, badges))
            # a tab elsewhere may still notify (of a message, not of an announcement;
            # notifications.js checks for mentions)
            if conn.user_id != event.author_id and message.notice is None \
                    and state.involvement != Involvement.NOTHING:
                notice = notice or await notices.room_notice(message)
                conn.push(notice)
    scope = room_scope(event.room_id)
    if live.typing.stop(scope, event.author_id):
        await push_typing(live, scope, dom_id_for("room", event.room_id, "typing"),
                          [c for c in conns if c.room_id == event.room_id])


async def message_changed(event: MessageChanged, conns: list[Socket], live: Live,
                          _: None) -> None:
    viewers = [c for c in conns if c.room_id == event.room_id]
    if not viewers:
        return
    message = await Message.get_or_none(id=event.message_id).prefetch_related(*MESSAGE_RELATIONS)
    if message is None or message.change_seq != event.change_seq:
        return  # a later change is on its way and will carry the newer state
    await attach_thread_summaries([message])  # a reply re-renders its root with the new count
    # Replaced in place by id; a tab that does not show the message ignores the frame.
    frame = dress(cached_fragment(MESSAGE, message), oob=True)
    for conn in viewers:
        conn.push(frame)


async def thread_reply_created(event: MessageCreated, conns: list[Socket], message: Message,
                               html: str) -> None:
    """A thread reply: appended to the thread wherever it is open (the side panel, the thread's
    page); a follower's tab elsewhere gets a notice that names them, as a mention does."""
    frame = frames.append(dom_id_for("thread", message.thread_root_id, "replies"), html)
    followers: set[int] | None = None
    notices_by_name: dict[str, str] = {}
    for conn in conns:
        if conn.room_id == event.room_id:
            conn.push(frame)
        elif conn.user_id != event.author_id and message.in_thread_only:
            if followers is None:
                followers = {f.user_id for f in await ThreadFollow.filter(
                    root_id=message.thread_root_id).only("id", "user_id")}
            if conn.user_id in followers:
                name = conn.username.lower()
                if name not in notices_by_name:
                    notices_by_name[name] = await notices.room_notice(message, also_for=name)
                conn.push(notices_by_name[name])


async def unread_badge(room_id: int, state: RoomState,
                       cache: dict[tuple[int, bool, int, str], str]) -> str:
    """The sidebar badge of a room, rendered once per count, mention mark and involvement."""
    key = (state.unread, state.mentioned, state.mentions, str(state.involvement))
    if key not in cache:
        cache[key] = await frames.render(
            "rooms/_unread.html", unread_id=dom_id_for("room", room_id, "unread"),
            unread=state.unread, mentioned=state.mentioned, mention_count=state.mentions,
            involvement=state.involvement, oob=True)
    return cache[key]
