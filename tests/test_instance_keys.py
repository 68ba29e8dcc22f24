"""The instance's secrets live in its database: made once, taken over from an older version's
files under VAR_DIR (nobody logged out by the upgrade), and what the running app signs with."""

from __future__ import annotations

import base64
from pathlib import Path

import asyncpg
import httpx
from py_vapid import Vapid02
from quart import Quart

from app.actions.instance import SECRET_FILE, instance_keys
from app.db import asyncpg_dsn
from app.models import InstanceKeys
from app.push.vapid import KEY_FILE, load_vapid_keys
from config.settings import Settings, settings_of
from tests.helpers import select_one
from tests.remote import RemoteUser
from tests.server import running_server


async def test_the_keys_are_made_once_and_every_start_reads_the_same(app: Quart,
                                                                      tmp_path: Path) -> None:
    first = await instance_keys(tmp_path)
    again = await instance_keys(tmp_path / "another var dir")

    assert (first.bus_id, first.secret_key, first.vapid_private_key) == \
        (again.bus_id, again.secret_key, again.vapid_private_key)
    assert len(first.secret_key) >= 32 and len(first.bus_id) == 32
    assert await InstanceKeys.all().count() == 1
    point = base64.urlsafe_b64decode(
        load_vapid_keys(Settings(vapid_private_key=first.vapid_private_key))
        .application_server_key + "==")
    assert len(point) == 65 and point[0] == 4


async def test_an_upgraded_instance_takes_over_the_keys_its_var_dir_kept(app: Quart,
                                                                         tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("the-old-secret-kept-in-var\n")
    old = Vapid02()
    old.generate_keys()
    old.save_key(str(tmp_path / KEY_FILE))
    old_public = load_vapid_keys(Settings(vapid_private_key=_raw(old))).application_server_key

    keys = await instance_keys(tmp_path)

    assert keys.secret_key == "the-old-secret-kept-in-var"
    assert load_vapid_keys(Settings(vapid_private_key=keys.vapid_private_key)) \
        .application_server_key == old_public


def test_the_running_app_signs_with_the_configured_secret_over_the_databases(app: Quart) -> None:
    assert settings_of(app).secret_key == app.config["SECRET_KEY"] == "test-secret"
    assert settings_of(app).vapid_private_key  # the database's: VAPID_PRIVATE_KEY is not set


def _raw(vapid: Vapid02) -> str:
    number = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(number).rstrip(b"=").decode()


async def test_upgrading_an_instance_that_kept_its_keys_in_var_dir_logs_nobody_out(
        empty_database: str, tmp_path: Path) -> None:
    old_vapid = Vapid02()
    old_vapid.generate_keys()
    old_vapid.save_key(str(tmp_path / KEY_FILE))
    (tmp_path / SECRET_FILE).write_text("the-secret-an-older-parley-made\n")
    env = {"DATABASE_URL": empty_database, "VAR_DIR": str(tmp_path)}
    # As the older version ran: signing with the file's secret and key (given here directly).
    with running_server({**env, "SECRET_KEY": "the-secret-an-older-parley-made",
                         "VAPID_PRIVATE_KEY": _raw(old_vapid)}) as (base, _):
        alice = RemoteUser(base, "alice")
        await alice.sign_up()
        cookies = dict(alice.http.cookies.items())
        before = await _push_key(alice.http)
        await alice.close()
    await _forget_keys(empty_database)  # the database as it was before the upgrade

    with running_server(env) as (base, _):  # the upgraded version: keys from the database
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=20) as browser:
            page = await browser.get("/rooms")
            after = await _push_key(browser)

    assert page.status_code == 200  # still logged in
    assert after == before


async def _push_key(browser: httpx.AsyncClient) -> str:
    page = await browser.get("/rooms")
    return select_one(page.text, "[data-push-key]")["data-push-key"]


async def _forget_keys(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("DELETE FROM instance_keys")
    finally:
        await conn.close()
