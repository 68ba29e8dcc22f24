"""The instance's secrets live in its database: made once, taken over from an older version's
files under VAR_DIR (nobody logged out by the upgrade), and what the running app signs with."""

from __future__ import annotations

import base64
from pathlib import Path

from py_vapid import Vapid02
from quart import Quart

from app.actions.instance import SECRET_FILE, instance_keys
from app.models import InstanceKeys
from app.push.vapid import KEY_FILE, load_vapid_keys
from config.settings import Settings, settings_of


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
