"""The instance's settings: its name, its sign-up policy and its join link; and its secrets."""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.errors import InvalidInput
from app.models import Instance, InstanceKeys, SignupPolicy
from app.push.vapid import KEY_FILE, new_raw_key, raw_key_of_file
from app.realtime.publish import in_transaction

log = logging.getLogger("parley")
INSTANCE_ID = 1
NAME_MAX = 60
SECRET_FILE = "secret_key"  # where versions before the keys moved into the database kept it


async def get_instance(conn: BaseDBAsyncClient | None = None, lock: bool = False) -> Instance:
    """The settings row, made with a fresh join token the first time anyone asks.

    `lock` holds the row until the caller's transaction ends, which serialises sign-ups (so
    two first accounts cannot both become administrator) and changes to the settings.
    """
    conn = conn or connections.get("default")
    query = Instance.filter(id=INSTANCE_ID).using_db(conn)
    query = query.select_for_update() if lock else query
    instance = await query.first()
    if instance is None:
        # ON CONFLICT: two processes racing make one row, without aborting a transaction.
        await conn.execute_query(
            "INSERT INTO instance (id, name, signup_policy, join_token, updated_at) "
            "VALUES ($1, 'Parley', 'link', $2, now()) ON CONFLICT (id) DO NOTHING",
            [INSTANCE_ID, _new_token()])
        instance = await query.get()
    return instance


def effective_policy(instance: Instance, configured: str | None) -> SignupPolicy:
    """SIGNUPS in the environment, when set, overrides the administrator's choice."""
    return SignupPolicy(configured) if configured else SignupPolicy(instance.signup_policy)


def join_token_matches(instance: Instance, token: str | None) -> bool:
    """True when `token` is the instance's current join token (constant-time)."""
    if not token:
        return False
    return hmac.compare_digest(token.encode(), instance.join_token.encode())


async def update_instance(name: str, policy: str) -> Instance:
    """Rename the instance and choose who may sign up."""
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the instance a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Names can be at most {NAME_MAX} characters."
    elif not name.isprintable():
        errors["name"] = "Names cannot hold control characters."
    if policy not in {p.value for p in SignupPolicy}:
        errors["signup_policy"] = "Choose who may sign up."
    if errors:
        raise InvalidInput(errors)
    async with in_transaction() as conn:
        instance = await get_instance(conn, lock=True)
        instance.name, instance.signup_policy = name, SignupPolicy(policy)
        await instance.save(using_db=conn)
    return instance


async def regenerate_join_link() -> Instance:
    """A new join token: the old link stops working at once."""
    async with in_transaction() as conn:
        instance = await get_instance(conn, lock=True)
        instance.join_token = _new_token()
        await instance.save(using_db=conn, update_fields=["join_token", "updated_at"])
    return instance


def _new_token() -> str:
    return secrets.token_urlsafe(24)


async def instance_keys(var_dir: Path) -> InstanceKeys:
    """The instance's secrets, made at its first start and read by every start after.

    An instance upgraded from a version that kept them as files under VAR_DIR takes those over
    (nobody is logged out, no push subscription breaks); otherwise they are made new. Replicas
    starting at once agree: the first insert wins and everyone reads it back.
    """
    keys = await InstanceKeys.get_or_none(id=INSTANCE_ID)
    if keys is not None:
        return keys
    secret_file, vapid_file = var_dir / SECRET_FILE, var_dir / KEY_FILE
    secret = secret_file.read_text().strip() if secret_file.exists() else ""
    vapid = raw_key_of_file(vapid_file) if vapid_file.exists() else ""
    if secret or vapid:
        log.info("keeping the secret key and push keys found in %s in the database from now on",
                 var_dir)
    await connections.get("default").execute_query(
        "INSERT INTO instance_keys (id, bus_id, secret_key, vapid_private_key, created_at) "
        "VALUES ($1, $2, $3, $4, now()) ON CONFLICT (id) DO NOTHING",
        [INSTANCE_ID, secrets.token_hex(16), secret or secrets.token_urlsafe(48),
         vapid or new_raw_key()])
    return await InstanceKeys.get(id=INSTANCE_ID)
