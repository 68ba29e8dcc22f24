"""Reading private conversations: my list with unread counts, keys, and encrypted history pages."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from app.models import Conversation, DirectMessage, PublicKey, User

PAGE_MAX = 200


@dataclass(frozen=True)
class MyConversation:
    """A conversation in the user's list: who it is with and how many messages are unread."""

    conversation: Conversation
    peer: User
    unread: int


async def find_conversation(user: User, other: User) -> Conversation | None:
    """The pair's conversation, or None before they first talk."""
    low, high = sorted((user.id, other.id))
    return await Conversation.get_or_none(low_user_id=low, high_user_id=high)


async def my_conversations(user: User) -> list[MyConversation]:
    """The user's conversations, most recently active first, each with its unread count."""
    rows = await Conversation.filter(Q(low_user_id=user.id) | Q(high_user_id=user.id)) \
        .prefetch_related("low_user", "high_user").order_by("-last_message_at", "-created_at")
    return [MyConversation(c, *_peer_and_unread(c, user)) for c in rows]


def read_seq(conversation: Conversation, user: User) -> int:
    """How far `user` has read in the conversation."""
    if conversation.low_user_id == user.id:
        return conversation.low_read_seq
    return conversation.high_read_seq


async def current_key(user: User) -> PublicKey | None:
    """The user's newest public key (the one others encrypt to), or None before set-up."""
    return await PublicKey.filter(user_id=user.id).order_by("-id").first()


async def keys_of(user: User) -> list[PublicKey]:
    """Every public key the user ever published, oldest first (old messages name old keys)."""
    return await PublicKey.filter(user_id=user.id).order_by("id")


async def latest_direct_messages(conversation: Conversation | None, limit: int) -> list[DirectMessage]:
    """The newest `limit` messages, oldest first."""
    if conversation is None:
        return []
    rows = await DirectMessage.filter(conversation_id=conversation.id).order_by("-seq") \
        .limit(limit).prefetch_related("sender")
    return list(reversed(rows))


async def direct_messages_before(conversation: Conversation | None, seq: int,
                                 limit: int) -> list[DirectMessage]:
    """The `limit` messages just before `seq`, oldest first."""
    if conversation is None:
        return []
    rows = await DirectMessage.filter(conversation_id=conversation.id, seq__lt=seq) \
        .order_by("-seq").limit(limit).prefetch_related("sender")
    return list(reversed(rows))


async def direct_messages_after(conversation: Conversation | None, seq: int,
                                limit: int = PAGE_MAX) -> list[DirectMessage]:
    """Up to `limit` messages after `seq`, oldest first: the catch-up contract."""
    if conversation is None:
        return []
    return await DirectMessage.filter(conversation_id=conversation.id, seq__gt=seq) \
        .order_by("seq").limit(limit).prefetch_related("sender")


def _peer_and_unread(conversation: Conversation, user: User) -> tuple[User, int]:
    peer = conversation.high_user if conversation.low_user_id == user.id else conversation.low_user
    return peer, max(0, conversation.last_seq - read_seq(conversation, user))
