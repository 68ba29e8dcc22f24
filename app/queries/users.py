"""Finding people by name (the invite field's suggestions, the composer's @-autocomplete)."""

from __future__ import annotations

from typing import cast

from app.models import User

SUGGESTIONS_MAX = 8
LOOKUPS_PER_MINUTE = 60  # per user and process: typing a name sends one per pause


async def usernames_starting_with(prefix: str, excluding: User,
                                  limit: int = SUGGESTIONS_MAX) -> list[str]:
    """Usernames of active people beginning with `prefix` (case-insensitive), alphabetical;
    never `excluding`'s, a deactivated account's or a webhook's bot."""
    prefix = prefix.strip().lstrip("@").lower()
    if not prefix:
        return []
    # username_key is the lower-cased name, so a prefix match on it ignores case.
    names = await User.filter(username_key__startswith=prefix, deactivated_at=None, is_bot=False,
                             imported_from=None) \
        .exclude(id=excluding.id).order_by("username_key").limit(limit) \
        .values_list("username", flat=True)
    return cast(list[str], names)  # flat: the values (Tortoise types them as tuples)
