"""Private conversations on screen: ciphertext fragments and typing, for the two participants."""

from __future__ import annotations

from app.live_views import frames
from app.live_views.typing import push_typing
from app.models import DirectMessage
from app.realtime.connections import Connection
from app.realtime.dispatch import Live
from app.realtime.events import DirectMessageCreated, DirectTyping
from app.rendering import dom_id_for


def _scope(conversation_id: int) -> tuple[str, int]:
    return ("dm", conversation_id)


async def direct_message_created(event: DirectMessageCreated, conns: list[Connection],
                                 live: Live, _: None) -> None:
    viewers = [c for c in conns if c.conversation_id == event.conversation_id]
    if viewers:
        message = await DirectMessage.get(id=event.message_id).prefetch_related("sender")
        html = await frames.render("dm/_message.html", message=message)
        frame = frames.append(dom_id_for("conversation", event.conversation_id, "messages"),
                              html)
        for conn in viewers:
            conn.push(frame)
    scope = _scope(event.conversation_id)
    if live.typing.stop(scope, event.sender_id):
        await push_typing(live, scope, _typing_id(event.conversation_id),
                          [c for c in viewers if c.user_id == event.recipient_id])


async def direct_typing(event: DirectTyping, conns: list[Connection], live: Live,
                        _: None) -> None:
    scope = _scope(event.conversation_id)
    if live.typing.update(scope, event):
        await push_typing(live, scope, _typing_id(event.conversation_id),
                          [c for c in conns if c.conversation_id == event.conversation_id])


def _typing_id(conversation_id: int) -> str:
    return dom_id_for("conversation", conversation_id, "typing")
