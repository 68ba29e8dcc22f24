"""What a notification says of a message, on any channel: an excerpt of its text, or what it
carries when it has none."""

from __future__ import annotations

from app.models import Attachment, Message

EXCERPT_CHARS = 200


def excerpt(body: str) -> str:
    """The start of a message, on one line."""
    text = " ".join(body.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…"


def without_text(message: Message) -> str:
    """What a message with no text carries, in words: "sent a file: name" or "sent an image".

    The message's `attachment` must be loaded when it has one (its name is said).
    """
    if message.attachment_id is not None:
        attachment = message.attachment
        return f"sent a file: {attachment.name}" if isinstance(attachment, Attachment) \
            else "sent a file"
    return "sent an image" if message.image_id is not None else ""
