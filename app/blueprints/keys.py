"""Public keys and key backups for private messages, as JSON for the browser's crypto code."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request

from app.access import find_key_owner
from app.actions.errors import InvalidInput
from app.actions.keys import publish_key
from app.auth import login_required, require_account
from app.models import KeyBackup, PublicKey
from app.queries.conversations import keys_of

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
    rows = await KeyBackup.filter(key__user_id=user.id).order_by("key_id").prefetch_related("key")
    return {"backups": [{**_key_json(b.key), "wrapped_key": b.wrapped_key, "salt": b.salt,
                         "iv": b.iv, "iterations": b.iterations} for b in rows]}, 200, NO_STORE


def _key_json(key: PublicKey) -> dict[str, Any]:
    return {"id": key.id, "algorithm": str(key.algorithm), "public_key": key.public_key,
            "created_at": key.created_at.isoformat()}
