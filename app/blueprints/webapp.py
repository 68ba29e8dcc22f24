"""The installable web app: its manifest, its service worker, and the page shown offline."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from quart import Blueprint, current_app, render_template, url_for

blueprint = Blueprint("webapp", __name__)
# The application shell: what the service worker keeps so Parley opens offline. Never a page or
# fragment with messages in it (those are the network's alone). Every module under static/js/
# is part of it: js/main.js imports them all, and a cached entry module must never meet a
# newer or missing import.
SHELL_ASSETS = ("css/app.css", "favicon.svg", "icons/icon-192.png", "vendor/htmx.min.js",
                "vendor/ws.min.js", "vendor/markdown-it.min.js")


@blueprint.get("/manifest.webmanifest")
async def manifest() -> Any:
    icons = [_icon("icon-192.png", 192, "any"), _icon("icon-512.png", 512, "any"),
             _icon("maskable-512.png", 512, "maskable")]
    body = {"name": "Parley", "short_name": "Parley", "description": "Team chat",
            "start_url": url_for("rooms.index"), "scope": "/", "display": "standalone",
            "background_color": "#f5f6f8", "theme_color": "#3b5bdb", "icons": icons}
    return body, 200, {"Content-Type": "application/manifest+json", "Cache-Control": "no-cache"}


@blueprint.get("/sw.js")
async def service_worker() -> Any:
    """Served from the root so its scope is the whole site; re-checked on every visit."""
    shell = [url_for("webapp.offline")] + [url_for("static", filename=f) for f in _shell_files()]
    script = await render_template("webapp/sw.js", shell=shell, version=_shell_version())
    return script, 200, {"Content-Type": "text/javascript; charset=utf-8",
                         "Cache-Control": "no-cache"}


@blueprint.get("/offline")
async def offline() -> Any:
    """The page the service worker shows when a page cannot be fetched (no user data in it)."""
    return await render_template("webapp/offline.html")


def _icon(name: str, size: int, purpose: str) -> dict[str, str]:
    return {"src": url_for("static", filename=f"icons/{name}"), "sizes": f"{size}x{size}",
            "type": "image/png", "purpose": purpose}


@cache
def _shell_files() -> tuple[str, ...]:
    """The shell's static files, relative to the static folder."""
    static = Path(str(current_app.static_folder))
    modules = sorted(p.relative_to(static).as_posix() for p in (static / "js").rglob("*.js"))
    return SHELL_ASSETS + tuple(modules)


@cache
def _shell_version() -> str:
    """Changes when a shell file or the offline page changes, so browsers refresh their copy."""
    digest = hashlib.sha256()
    folders = [current_app.static_folder, f"{current_app.template_folder}/webapp"]
    for path in [f"{folders[0]}/{f}" for f in _shell_files()] + [f"{folders[1]}/offline.html"]:
        try:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        except FileNotFoundError:  # static/vendor before `make setup`: the worker skips it
            digest.update(path.encode())
    return digest.hexdigest()[:12]
