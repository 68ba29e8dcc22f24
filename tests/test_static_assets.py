"""Static files: versioned URLs cached for good, br/gzip copies, and the old paths still answer.

The app's own tree (static/) is checked through the real app; how a changed file, an edited
file or the encodings behave is checked on a small tree of our own, served by the same code.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import shutil
from pathlib import Path

import brotli
import pytest
from quart import Quart

from app.static_files import (
    IMMUTABLE,
    precompress,
    precompress_in_background,
    scan,
    serve_static_files,
    tree_of,
)
from tests.helpers import Person, select

MODULE = b'import { page } from "./page.js";\n' + b"export function start() { page(); }\n" * 40
STYLE = b"body { margin: 0; color: #222; }\n" * 60
VERSIONED = re.compile(r"^/static/([0-9a-f]{12})/")


def make_tree(folder: Path) -> Path:
    (folder / "js").mkdir(parents=True)
    (folder / "css").mkdir()
    (folder / "js" / "main.js").write_bytes(MODULE)
    (folder / "js" / "page.js").write_bytes(b"export function page() {}\n")
    (folder / "css" / "app.css").write_bytes(STYLE)
    (folder / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    return folder


def static_app(folder: Path) -> Quart:
    """A Quart app serving `folder` as Parley serves its static folder."""
    app = Quart(__name__, static_folder=str(folder), static_url_path="/static")
    serve_static_files(app)
    return app


async def url_of(app: Quart, filename: str) -> str:
    async with app.test_request_context("/"):
        from quart import url_for
        return url_for("static", filename=filename)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    folder = make_tree(tmp_path / "static")
    precompress(scan(folder))
    return folder


async def test_pages_link_their_styles_and_scripts_under_the_current_version(app: Quart) -> None:
    page = await (await Person(app, "visitor").get("/login")).get_data()

    links = [t["href"] for t in select(page, "link[rel=stylesheet], link[rel=icon]")]
    scripts = [t["src"] for t in select(page, "script[src]")]
    version = tree_of(app).version
    assert links and scripts
    assert all(url.startswith(f"/static/{version}/") for url in links + scripts), links + scripts
    assert f"/static/{version}/js/main.js" in scripts


async def test_a_versioned_file_is_cached_for_a_year_as_immutable(app: Quart) -> None:
    response = await app.test_client().get(f"/static/{tree_of(app).version}/css/app.css")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Type"].startswith("text/css")
    assert await response.get_data() == (Path(str(app.static_folder)) / "css/app.css").read_bytes()


async def test_a_static_file_carries_no_session_cookie_and_does_not_vary_on_cookies(
        app: Quart) -> None:
    visitor = Person(app, "visitor")
    await visitor.get("/login")  # the browser now has a session cookie

    response = await visitor.get(f"/static/{tree_of(app).version}/js/main.js")

    assert response.headers["Vary"] == "Accept-Encoding"  # no "Cookie": a log-in keeps the copy
    assert "Set-Cookie" not in response.headers


async def test_the_unversioned_path_still_answers_and_is_revalidated_each_time(app: Quart) -> None:
    client = app.test_client()
    response = await client.get("/static/icons/icon-192.png")

    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, no-cache"
    again = await client.get("/static/icons/icon-192.png",
                             headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


async def test_a_url_of_another_version_gets_the_current_file_revalidated_not_kept(
        app: Quart) -> None:
    """A tab from before a deploy, or a replica of the other release behind the same balancer:
    the file still comes (no broken page, no redirect loop between replicas), but not as a
    year-long copy under a version it is not."""
    client = app.test_client()
    old = await client.get("/static/0123456789ab/js/main.js")
    gone = await client.get("/static/0123456789ab/js/no-such-module.js")

    assert old.status_code == 200
    assert await old.get_data() == (Path(str(app.static_folder)) / "js/main.js").read_bytes()
    assert old.headers["Cache-Control"] == "public, no-cache"
    assert gone.status_code == 404


async def test_the_compressed_copies_and_hidden_files_are_not_served_by_name(tree: Path) -> None:
    app = static_app(tree)
    client = app.test_client()
    copy = next((tree / ".compressed").iterdir()).name

    assert (await client.get(f"/static/.compressed/{copy}")).status_code == 404
    assert (await client.get(f"/static/{tree_of(app).version}/.compressed/{copy}")).status_code \
        == 404
    assert (await client.get("/static/js/../../secret")).status_code == 404


async def test_a_changed_file_changes_every_url_and_the_same_files_give_the_same_url(
        tmp_path: Path) -> None:
    first = make_tree(tmp_path / "first")
    twin = shutil.copytree(first, tmp_path / "twin")  # another server with the same release
    before, same = static_app(first), static_app(twin)
    (first / "js" / "page.js").write_bytes(b"export function page() { return 2; }\n")
    after = static_app(first)

    assert await url_of(same, "js/main.js") == await url_of(before, "js/main.js")
    assert await url_of(after, "js/main.js") != await url_of(before, "js/main.js")
    # main.js did not change, its import did: one version for the whole tree keeps them together.
    old_url, new_url = await url_of(before, "js/main.js"), await url_of(after, "js/main.js")
    assert VERSIONED.match(old_url) and VERSIONED.match(new_url)
    client = after.test_client()
    assert (await client.get(new_url)).headers["Cache-Control"] == IMMUTABLE
    assert (await client.get(old_url)).headers["Cache-Control"] == "public, no-cache"


@pytest.mark.parametrize(("accept", "encoding"), [
    ("gzip, deflate, br, zstd", "br"), ("br", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip"),
    ("gzip;q=1.0, br;q=0.5", "gzip"), ("*", "br"), ("", None), ("identity", None),
])
async def test_text_files_go_in_the_best_encoding_the_browser_accepts(
        tree: Path, accept: str, encoding: str | None) -> None:
    app = static_app(tree)
    response = await app.test_client().get(await url_of(app, "js/main.js"),
                                           headers={"Accept-Encoding": accept})
    body = await response.get_data()

    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert int(response.headers["Content-Length"]) == len(body)
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding]
    assert decode(body) == MODULE
    assert encoding is None or len(body) < len(MODULE) / 3


async def test_the_unversioned_path_is_compressed_too(tree: Path) -> None:
    app = static_app(tree)
    response = await app.test_client().get("/static/css/app.css", headers={"Accept-Encoding": "br"})

    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(await response.get_data()) == STYLE
    assert response.headers["Cache-Control"] == "public, no-cache"


async def test_each_encoding_has_its_own_etag_and_answers_304_to_it(tree: Path) -> None:
    app = static_app(tree)
    client = app.test_client()
    url = await url_of(app, "css/app.css")
    tags = {accept: (await client.get(url, headers={"Accept-Encoding": accept})).headers["ETag"]
            for accept in ("br", "gzip", "")}

    assert len(set(tags.values())) == 3
    for accept, tag in tags.items():
        again = await client.get(url, headers={"Accept-Encoding": accept, "If-None-Match": tag})
        assert again.status_code == 304 and await again.get_data() == b""
    stale = await client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": tags["gzip"]})
    assert stale.status_code == 200 and brotli.decompress(await stale.get_data()) == STYLE


async def test_images_are_sent_as_they_are_without_vary(tree: Path) -> None:
    app = static_app(tree)
    response = await app.test_client().get(await url_of(app, "icon.png"),
                                           headers={"Accept-Encoding": "br, gzip"})

    assert response.headers["Content-Type"] == "image/png"
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers
    assert response.headers["Cache-Control"] == IMMUTABLE


async def test_a_file_without_its_copies_yet_is_sent_uncompressed(tmp_path: Path) -> None:
    app = static_app(make_tree(tmp_path / "static"))  # nothing precompressed (yet)
    response = await app.test_client().get(await url_of(app, "js/main.js"),
                                           headers={"Accept-Encoding": "br, gzip"})

    assert "Content-Encoding" not in response.headers
    assert await response.get_data() == MODULE
    assert response.headers["Cache-Control"] == IMMUTABLE


async def test_a_file_edited_after_start_up_is_sent_as_it_is_now_and_not_kept(tree: Path) -> None:
    app = static_app(tree)
    url = await url_of(app, "js/main.js")
    edited = b"export function start() { console.log('edited'); }\n" * 40
    (tree / "js" / "main.js").write_bytes(edited)
    os.utime(tree / "js" / "main.js", ns=(1, 1))  # a different mtime even on a coarse clock

    response = await app.test_client().get(url, headers={"Accept-Encoding": "br, gzip"})

    assert await response.get_data() == edited  # not the stale compressed copy
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == "public, no-cache"  # never kept under this URL


def test_copies_are_named_by_content_and_written_once(tree: Path) -> None:
    copies = sorted(p.name for p in (tree / ".compressed").iterdir())
    digest = scan(tree).files["js/main.js"].digest

    assert precompress(scan(tree)) == 0  # all there already
    assert {f"{digest}.br", f"{digest}.gz"} <= set(copies)
    assert brotli.decompress((tree / ".compressed" / f"{digest}.br").read_bytes()) == MODULE
    assert len([c for c in copies if not c.startswith(".")]) == 3 * 2  # js, js, css; br and gz


async def test_the_server_writes_missing_copies_in_the_background_and_then_sends_them(
        tmp_path: Path) -> None:
    folder = make_tree(tmp_path / "static")
    app = static_app(folder)  # started before the copies exist
    url = await url_of(app, "css/app.css")

    precompress_in_background(folder).join()
    response = await app.test_client().get(url, headers={"Accept-Encoding": "br"})

    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(await response.get_data()) == STYLE


async def test_a_folder_without_room_for_copies_sends_files_uncompressed_and_says_why(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = make_tree(tmp_path / "static")
    (folder / ".compressed").write_bytes(b"")  # a file where the copies' folder would go
    app = static_app(folder)

    with caplog.at_level(logging.WARNING, logger="parley"):
        precompress_in_background(folder).join()
    response = await app.test_client().get(await url_of(app, "css/app.css"),
                                           headers={"Accept-Encoding": "br, gzip"})

    assert "static files are sent uncompressed" in caplog.text
    assert "Content-Encoding" not in response.headers and await response.get_data() == STYLE
