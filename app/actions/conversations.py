"""Private conversations: starting one, sending encrypted messages, and marking them read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from app.actions import envelopes
from app.actions.errors import Conflict, InvalidInput
from app.actions.messages import CLIENT_MSG_ID
from app.mail.outbox import enqueue_direct_message
from app.models import Conversation, DirectMessage, User
from app.queries.conversations import current_key
from app.realtime.events import DirectMessageCreated
from app.realtime.publish import in_transaction, publish


class KeyChanged(Conflict):
    """The message was made for a key that is no longer its owner's current key."""


class _AlreadySent(Exception):
    def __init__(self, message: DirectMessage) -> None:
        self.message = message


async def start_conversation(user: User, other: User) -> Conversation:
    """The pair's conversation, made on first use (the caller checked they may talk)."""
    low, high = sorted((user.id, other.id))
    existing = await Conversation.get_or_none(low_user_id=low, high_user_id=high)
    if existing:
        return existing
    try:
        return await Conversation.create(low_user_id=low, high_user_id=high)
    except IntegrityError:  # both opened it at once; the other insert won
        return await Conversation.get(low_user_id=low, high_user_id=high)


async def send_direct_message(sender: User, recipient: User, form: Any, *,
                              grace: timedelta) -> DirectMessage:
    """Store an encrypted message numbered under the conversation's row lock; retries post once.

    Only ciphertext reaches this function: `form` carries base64url ciphertext, iv and salt,
    the key ids it was made with, and the sender's client message id.
    """
    fields = _envelope_fields(form)
    conversation = await start_conversation(sender, recipient)
    try:
        async with in_transaction() as conn:
            # The row lock serialises sends in this conversation: seq order is commit order.
            rows = await conn.execute_query_dict(
                "UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now() "
                "WHERE id = $1 RETURNING last_seq", [conversation.id])
            existing = await DirectMessage.get_or_none(
                conversation_id=conversation.id, client_msg_id=fields["client_msg_id"],
                using_db=conn)
            if existing:
                raise _AlreadySent(existing)
            await _require_current_keys(sender, recipient, fields)
            seq = rows[0]["last_seq"]
            message = await DirectMessage.create(conversation_id=conversation.id,
                                                 sender_id=sender.id, seq=seq, using_db=conn,
                                                 **fields)
            read_field = "low_read_seq" if conversation.low_user_id == sender.id else "high_read_seq"
            await Conversation.filter(id=conversation.id).using_db(conn).update(**{read_field: seq})
            await enqueue_direct_message(message, conversation, recipient, conn, grace)
            # Ids only: the ciphertext is far larger than a NOTIFY may carry.
            await publish(DirectMessageCreated(
                conversation_id=conversation.id, message_id=message.id, seq=seq,
                sender_id=sender.id, recipient_id=recipient.id), using_db=conn)
    except _AlreadySent as dup:
        if dup.message.sender_id != sender.id:
            raise Conflict("That message id belongs to another message.", field="ciphertext") from None
        message = dup.message
    message.sender = sender
    message.conversation = conversation
    return message


async def mark_conversation_read(conversation: Conversation, user: User, seq: int) -> None:
    """Move the user's read marker forward to `seq` (never backward); e-mails may come again."""
    mine = "low" if conversation.low_user_id == user.id else "high"
    field = f"{mine}_read_seq"
    if seq > getattr(conversation, field):
        await Conversation.filter(id=conversation.id, **{f"{field}__lt": seq}).update(
            **{field: seq, f"{mine}_email_held": False})
        setattr(conversation, field, seq)


def _envelope_fields(form: Any) -> dict[str, Any]:
    client_msg_id = (form.get("client_msg_id") or "").strip()
    if not CLIENT_MSG_ID.match(client_msg_id):
        raise InvalidInput({"client_msg_id": "The message id is missing or malformed."})
    if not form.get("ciphertext"):
        raise InvalidInput({"ciphertext": "Private messages are encrypted in your browser, "
                                          "which needs JavaScript. Nothing was sent."})
    return {
        "client_msg_id": client_msg_id,
        "ciphertext": envelopes.b64url_bytes(form.get("ciphertext"), "ciphertext",
                                             *envelopes.CIPHERTEXT_BYTES),
        "iv": envelopes.b64url_bytes(form.get("iv"), "iv", envelopes.IV_BYTES, envelopes.IV_BYTES),
        "salt": envelopes.b64url_bytes(form.get("salt"), "salt", envelopes.MESSAGE_SALT_BYTES,
                                       envelopes.MESSAGE_SALT_BYTES),
        "sender_key_id": envelopes.key_id(form.get("sender_key_id"), "sender_key_id"),
        "recipient_key_id": envelopes.key_id(form.get("recipient_key_id"), "recipient_key_id"),
    }


async def _require_current_keys(sender: User, recipient: User, fields: dict[str, Any]) -> None:
    """Messages are made with both people's current keys, so nobody writes to a retired key."""
    mine, theirs = await current_key(sender), await current_key(recipient)
    if mine is None or mine.id != fields["sender_key_id"]:
        raise KeyChanged("Your key changed in another browser. Reload the page to restore it.",
                         field="ciphertext")
    if theirs is None or theirs.id != fields["recipient_key_id"]:
        raise KeyChanged(f"{recipient.username}'s key changed. Reload the page and compare "
                         "the safety number before sending.", field="ciphertext")

