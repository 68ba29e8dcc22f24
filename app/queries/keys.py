"""Reading public keys: a user's current key (the one others seal for) and all their keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient

from app.models import KeyBackup, Membership, Message, PublicKey, Room, User


@dataclass(frozen=True)
class PersonKeys:
    """A person's name, current key id and every key they published (oldest first)."""

    username: str
    current: int | None
    keys: list[PublicKey]


@dataclass(frozen=True)
class KeyState:
    """What the page tells the browser's key code: my current key (its id and the public key the
    server holds under it, which the browser checks against its own), and whether it is backed up."""

    key_id: int | None
    backed_up: bool
    public_key: str | None = None


async def current_key(user: User) -> PublicKey | None:
    """The user's newest public key (the one others seal for), or None before their first."""
    return await PublicKey.filter(user_id=user.id).order_by("-id").first()


async def current_key_ids(user_ids: Iterable[int],
                          using_db: BaseDBAsyncClient | None = None) -> dict[int, int]:
    """Each user's current key id; users with no key yet are missing from the result."""
    rows = await PublicKey.filter(user_id__in=list(user_ids)).using_db(using_db) \
        .order_by("id").values("id", "user_id")
    return {row["user_id"]: row["id"] for row in rows}  # later (newer) ids overwrite older


async def keys_of(user: User) -> list[PublicKey]:
    """Every public key the user ever published, oldest first (old messages name old keys)."""
    return await PublicKey.filter(user_id=user.id).order_by("id")


async def key_state(user: User) -> KeyState:
    """My current key (None before my first) and whether its passphrase backup exists."""
    key = await current_key(user)
    if key is None:
        return KeyState(None, False)
    return KeyState(key.id, await KeyBackup.exists(key_id=key.id), key.public_key)


async def room_keys(room: Room) -> tuple[list[int], dict[int, PersonKeys]]:
    """A direct room's member ids, and the keys of its members and of everyone who wrote in it."""
    # values_list(flat=True) yields the values; Tortoise types every values_list as tuples.
    members = cast(list[int], await Membership.filter(room_id=room.id).order_by("user_id")
                   .values_list("user_id", flat=True))
    authors = cast(list[int], await Message.filter(room_id=room.id).distinct()
                   .values_list("author_id", flat=True))
    ids = sorted(set(members) | set(authors))
    names = dict(await User.filter(id__in=ids).values_list("id", "username"))
    keys: dict[int, list[PublicKey]] = {uid: [] for uid in ids}
    for key in await PublicKey.filter(user_id__in=ids).order_by("id"):
        keys[key.user_id].append(key)
    return members, {uid: PersonKeys(names.get(uid, "?"), keys[uid][-1].id if keys[uid] else None,
                                     keys[uid]) for uid in ids}


async def own_key(user: User, key_id: int) -> PublicKey | None:
    """One of the user's own keys by id; None for an unknown id or someone else's key."""
    return await PublicKey.get_or_none(id=key_id, user_id=user.id)


async def key_backups_of(user: User) -> list[KeyBackup]:
    """The user's key backups with their keys, oldest key first."""
    return await KeyBackup.filter(key__user_id=user.id).order_by("key_id").prefetch_related("key")
