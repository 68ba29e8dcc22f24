"""Reactions: a fixed emoji set, toggled per person, pushed live like any message change."""

from __future__ import annotations

from app.actions.errors import Conflict, InvalidInput
from app.actions.message_changes import lock_message, record_change
from app.models import Message, Reaction, User
from app.models.message import REACTION_NAMES
from app.realtime.publish import in_transaction


async def toggle_reaction(message: Message, user: User, emoji: str) -> bool:
    """Give `emoji` on the message, or take it back if given; True when it is now given."""
    if emoji not in REACTION_NAMES:
        raise InvalidInput({"emoji": "Choose one of the reactions offered."})
    async with in_transaction() as conn:
        current = await lock_message(message, conn)
        if current.deleted_at is not None:
            raise Conflict("This message was deleted.")
        given = await Reaction.filter(message_id=current.id, user_id=user.id, emoji=emoji) \
            .using_db(conn).delete()
        if not given:
            await Reaction.create(message_id=current.id, user_id=user.id, emoji=emoji,
                                  using_db=conn)
        await record_change(current, conn)
    return not given
