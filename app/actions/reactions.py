"""Reactions: any emoji of the emoji set, toggled per person, pushed live like any message change."""

from __future__ import annotations

from app.actions.message_changes import lock_message, record_change
from app.emoji_set import is_reaction
from app.errors import Conflict, InvalidInput
from app.models import Message, Reaction, User
from app.realtime.publish import in_transaction


async def toggle_reaction(message: Message, user: User, emoji: str) -> bool:
    """Give `emoji` on the message, or take it back if given; True when it is now given."""
    if not is_reaction(emoji):
        raise InvalidInput({"emoji": "Choose an emoji from the picker."})
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
