"""The installable app: manifest and icons, the service worker's shell, the offline page, VAPID."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import re
from pathlib import Path

from PIL import Image
from quart import Quart

from app.push.vapid import KEY_FILE, load_vapid_keys
from app.static_files import tree_of
from config.settings import ROOT, Settings
from tests.helpers import Person, select, select_one


async def test_the_manifest_names_the_app_and_its_icons_exist_at_their_sizes(app: Quart) -> None:
    response = await Person(app, "visitor").get("/manifest.webmanifest")

    assert response.headers["Content-Type"] == "application/manifest+json"
    manifest = await response.get_json()
    assert (manifest["name"], manifest["display"], manifest["start_url"]) == \
        ("Parley", "standalone", "/rooms")
    assert {icon["purpose"] for icon in manifest["icons"]} == {"any", "maskable"}
    for icon in manifest["icons"]:
        data = await (await Person(app, "visitor").get(icon["src"])).get_data()
        assert Image.open(io.BytesIO(data)).size == tuple(map(int, icon["sizes"].split("x")))


async def test_every_page_links_the_manifest(alice: Person) -> None:
    page = await (await alice.get("/rooms")).get_data()

    assert select_one(page, "link[rel=manifest]")["href"] == "/manifest.webmanifest"


def test_the_committed_icons_are_what_the_icon_script_draws() -> None:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts/make_icons.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    for name, (size, maskable) in script.SIZES.items():
        assert (ROOT / "static/icons" / name).read_bytes() == script.draw(size, maskable), name


async def test_the_service_worker_caches_the_shell_and_never_a_page_with_messages(
        app: Quart) -> None:
    response = await Person(app, "visitor").get("/sw.js")

    assert response.headers["Content-Type"].startswith("text/javascript")
    script = await response.get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", script).group(1))
    # The pages' own URLs (the current version), so the worker answers the page's requests.
    version = tree_of(app).version
    assert shell[0] == "/offline" and f"/static/{version}/css/app.css" in shell
    assert f"/static/{version}/js/main.js" in shell
    assert all(url.startswith(f"/static/{version}/") for url in shell[1:])  # no page or media


async def test_the_offline_page_says_so_and_holds_nothing_about_the_viewer(alice: Person) -> None:
    page = await (await alice.get("/offline")).get_data()

    assert select_one(page, "h1").text == "You are offline"
    assert b"alice" not in page
    assert not select(page, "#sidebar, input[name=csrf_token]")


def test_vapid_keys_come_from_the_environment_when_set(tmp_path: Path) -> None:
    raw = base64.urlsafe_b64encode(bytes(range(1, 33))).rstrip(b"=").decode()
    env = {"VAR_DIR": str(tmp_path), "SECRET_KEY": "s", "VAPID_PRIVATE_KEY": raw,
           "VAPID_SUBJECT": "mailto:ops@example.com"}

    keys = load_vapid_keys(Settings.from_env(env))

    assert keys.subject == "mailto:ops@example.com"
    assert keys.claims() == {"sub": "mailto:ops@example.com"}
    assert keys.claims() is not keys.claims()  # pywebpush mutates the dict it is given
    assert not (tmp_path / KEY_FILE).exists()
    assert keys.application_server_key == load_vapid_keys(Settings.from_env(env)) \
        .application_server_key
