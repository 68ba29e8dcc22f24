"""Finding people by name (for the invite field's suggestions)."""

from __future__ import annotations

from typing import cast

from app.models import User

SUGGESTIONS_MAX = 8


async def usernames_starting_with(prefix: str, excluding: User,
                                  limit: int = SUGGESTIONS_MAX) -> list[str]:
    """Usernames beginning with `prefix` (case-insensitive), alphabetical, never `excluding`'s."""
    prefix = prefix.strip().lstrip("@").lower()
    if not prefix:
        return []
    # username_key is the lower-cased name, so a prefix match on it ignores case.
    names = await User.filter(username_key__startswith=prefix).exclude(id=excluding.id) \
        .order_by("username_key").limit(limit).values_list("username", flat=True)
    return cast(list[str], names)  # flat: the values (Tortoise types them as tuples)
