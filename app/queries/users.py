"""Finding people by name (the invite field's suggestions, the composer's @-autocomplete)."""

from __future__ import annotations

from app.models import User

SUGGESTIONS_MAX = 8


async def usernames_starting_with(prefix: str, excluding: User,
                                  limit: int = SUGGESTIONS_MAX) -> list[str]:
    """Active people's usernames beginning with `prefix` (case-insensitive), alphabetical, never
    `excluding`'s, a webhook's bot's or a deactivated account's."""
    prefix = prefix.strip().lstrip("@").lower()
    if not prefix:
        return []
    # username_key is the lower-cased name, so a prefix match on it ignores case.
    return await User.filter(username_key__startswith=prefix, is_bot=False, deactivated_at=None) \
        .exclude(id=excluding.id) \
        .order_by("username_key").limit(limit).values_list("username", flat=True)
