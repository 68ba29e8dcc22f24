"""Claiming an imported account: whoever confirms its e-mail address takes it over.

An import (app/actions/slack_import.py) makes an account for each person of the other service,
named after them, with their e-mail address, no usable password and a `username_key` no
person can type ("slack:U024BE7LH"), so their name stays free to sign up with. When someone
confirms that address, by the link sent at sign-up or after changing their address, the
imported account's messages, reactions, rooms and rooms owned become theirs and the imported
account is gone. Confirming is the proof: typing an address at sign-up proves nothing.
"""

from __future__ import annotations

from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient

from app.models import User

# Each statement moves one kind of row from the imported account ($1) to its owner ($2); a
# reaction or a membership the owner already has is kept once (theirs), not twice.
_TAKE_OVER = (
    "UPDATE messages SET author_id = $2 WHERE author_id = $1",
    "DELETE FROM reactions r WHERE r.user_id = $1 AND EXISTS (SELECT 1 FROM reactions o "
    "WHERE o.user_id = $2 AND o.message_id = r.message_id AND o.emoji = r.emoji)",
    "UPDATE reactions SET user_id = $2 WHERE user_id = $1",
    "UPDATE memberships SET user_id = $2 WHERE user_id = $1 AND room_id NOT IN "
    "(SELECT room_id FROM memberships WHERE user_id = $2)",
    "UPDATE rooms SET owner_id = $2 WHERE owner_id = $1",
    "UPDATE imported_ids SET local_id = $2 WHERE kind = 'user' AND local_id = $1",
    "DELETE FROM users WHERE id = $1",
)


async def claim_imported_accounts(user: User, conn: BaseDBAsyncClient) -> int:
    """Give `user`, whose address was just confirmed (inside `conn`'s transaction), every
    imported account with that address; returns how many there were."""
    if not user.email or user.imported_from is not None:
        return 0
    claimed = cast(list[int], await User.filter(
        email__iexact=user.email, imported_from__not_isnull=True, is_bot=False)
        .exclude(id=user.id).using_db(conn).values_list("id", flat=True))
    for imported_id in claimed:
        for statement in _TAKE_OVER:
            values = [imported_id, user.id] if "$2" in statement else [imported_id]
            await conn.execute_query(statement, values)
    return len(claimed)
