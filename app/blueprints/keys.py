"""Public keys and key backups for private messages, as JSON for the browser's crypto code."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request

from app.access import find_key_owner, require_direct_member
from app.actions.keys import back_up_key, publish_key
from app.auth import login_required, require_account
from app.errors import Conflict, InvalidInput, NotFound
from app.queries.keys import key_backups_of, keys_of, own_key, room_keys
from app.queries.records import PublicKey

blueprint = Blueprint("keys", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@blueprint.post("/keys")
@login_required
async def publish() -> Any:
    user = await require_account()
    try:
        key = await publish_key(user, await request.form)
    except InvalidInput as exc:
        return {"errors": exc.errors}, 400, NO_STORE
    return _key_json(key), 201, NO_STORE


@blueprint.post("/keys/<int:key_id>/backup")
@login_required
async def back_up(key_id: int) -> Any:
    user = await require_account()
    key = await own_key(user, key_id)
    if key is None:
        raise NotFound()
    try:
        await back_up_key(key, await request.form)
    except InvalidInput as exc:
        return {"errors": exc.errors}, 400, NO_STORE
    except Conflict as exc:
        return {"errors": {"key": str(exc)}}, 409, NO_STORE
    return {"id": key.id, "backed_up": True}, 201, NO_STORE


@blueprint.get("/rooms/<int:room_id>/keys")
@login_required
async def keys_in_room(room_id: int) -> Any:
    """Everyone whose key a member needs here: members (to seal for) and past authors (to open)."""
    user = await require_account()
    room, _ = await require_direct_member(user, room_id)
    members, people = await room_keys(room)
    return {"room_id": room.id, "members": members,
            "people": {str(uid): {"username": p.username, "current": p.current,
                                  "keys": [_key_json(k) for k in p.keys]}
                       for uid, p in people.items()}}, 200, NO_STORE


@blueprint.get("/users/<username>/keys")
@login_required
async def user_keys(username: str) -> Any:
    user = await require_account()
    owner = await find_key_owner(user, username)
    keys = await keys_of(owner)
    return {"user_id": owner.id, "username": owner.username,
            "current": keys[-1].id if keys else None,
            "keys": [_key_json(k) for k in keys]}, 200, NO_STORE


@blueprint.get("/keys/backup")
@login_required
async def backups() -> Any:
    user = await require_account()
    rows = await key_backups_of(user)
    return {"backups": [{**_key_json(b.key), "wrapped_key": b.wrapped_key, "salt": b.salt,
                         "iv": b.iv, "iterations": b.iterations} for b in rows]}, 200, NO_STORE


def _key_json(key: PublicKey) -> dict[str, Any]:
    return {"id": key.id, "algorithm": str(key.algorithm), "public_key": key.public_key,
            "created_at": key.created_at.isoformat()}
