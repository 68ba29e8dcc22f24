"""Static files under versioned URLs, cached for good, and sent precompressed.

At start-up create_app scans the static folder once: each file's SHA-256, and one version
over all of them. url_for("static", filename=...) then builds /static/<version>/<filename>,
answered with `Cache-Control: public, max-age=31536000, immutable`: a changed file changes
the version, so a browser never keeps a stale copy and never asks again for a current one.
One version for the whole tree (not one per file) because the ES modules import each other
by relative path ("./page.js"): a module's imports resolve inside its own version.

A URL of another version (a page from before a deploy, a tab left open, a replica of the
other release behind the same load balancer) gets the current file, revalidated on each use
(no-cache, with an ETag for the 304) instead of kept for a year: never a 404 that breaks an
open page, never a redirect that two replicas of different releases would send back and forth,
and never a year-long copy of a file its URL's version does not name. The unversioned
/static/<filename> answers the same way (anything that links there: the notification icon).

Text files (js, css, json, svg) have brotli and gzip copies in <static>/.compressed/, named by
the content's SHA-256, so a copy is never stale: scripts/precompress-static writes them
(the image's build step) and `python -m app` writes any missing ones in the background when
it starts. A request gets the copy its Accept-Encoding allows (br before gzip), else the file
itself, with `Vary: Accept-Encoding`. A file edited after start-up is sent as it now is,
uncompressed and uncached, until a restart gives it its new version.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
from quart import Quart, current_app, has_request_context, request
from quart.sessions import SecureCookieSessionInterface, SessionMixin
from werkzeug.datastructures import Accept
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter
from werkzeug.security import safe_join

from config.settings import ROOT

log = logging.getLogger("parley")

FOLDER = ROOT / "static"
COMPRESSED = ".compressed"  # under the static folder; hidden files are never served
COMPRESSIBLE = frozenset({".js", ".css", ".json", ".svg"})
ENCODINGS = {"br": ".br", "gzip": ".gz"}  # in order of preference at equal quality
VERSION_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"


@dataclass(frozen=True)
class StaticFile:
    """One file as the start-up scan found it."""

    digest: str  # SHA-256 of the content, hex
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class StaticTree:
    """The static folder at start-up: its files by relative path, and their one version."""

    folder: Path
    version: str
    files: Mapping[str, StaticFile]

    @property
    def compressed(self) -> Path:
        return self.folder / COMPRESSED

    def copy_of(self, name: str, encoding: str) -> Path:
        """Where the `encoding` copy of the file `name` is (whether or not it is there yet)."""
        return self.compressed / f"{self.files[name].digest}{ENCODINGS[encoding]}"


class SessionUntouchedByStaticFiles(SecureCookieSessionInterface):
    """No session cookie work on a static file's answer, so it carries no `Vary: Cookie`.

    Quart marks the session accessed on every request when it saves it, which adds
    `Vary: Cookie` to every answer; a browser then drops its copy of a file whenever a
    cookie changes (logging in does), and the year-long cache would not survive a log-in.
    Sending a static file neither reads nor changes the session.
    """

    async def save_session(self, app: Quart, session: SessionMixin, response: Any) -> None:
        if not (has_request_context() and request.endpoint == "static"):  # sockets save too
            await super().save_session(app, session, response)


class VersionConverter(BaseConverter):
    """A URL segment that can only be a version (so /static/js/... is never read as one)."""

    regex = f"[0-9a-f]{{{VERSION_LENGTH}}}"


def scan(folder: Path) -> StaticTree:
    """Hash every file of `folder` except hidden ones (the compressed copies, build stamps)."""
    files: dict[str, StaticFile] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if _hidden(relative.parts) or not path.is_file():
            continue
        stat = path.stat()
        files[relative.as_posix()] = StaticFile(hashlib.sha256(path.read_bytes()).hexdigest(),
                                                stat.st_size, stat.st_mtime_ns)
    overall = hashlib.sha256()
    for name, file in files.items():
        overall.update(f"{name}\0{file.digest}\n".encode())
    return StaticTree(folder, overall.hexdigest()[:VERSION_LENGTH], files)


def compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, mode=brotli.MODE_TEXT, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


def precompress(tree: StaticTree) -> int:
    """Write the missing compressed copies of the tree's text files; returns how many."""
    written = 0
    for name, file in tree.files.items():
        missing = [e for e in ENCODINGS if _compressible(name) and not tree.copy_of(name, e).exists()]
        if not missing:
            continue
        data = (tree.folder / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != file.digest:
            continue  # edited since the scan: its copy waits for the next start
        tree.compressed.mkdir(exist_ok=True)
        for encoding in missing:
            _write_atomically(tree.copy_of(name, encoding), compress(data, encoding))
            written += 1
    return written


def precompress_in_background(folder: Path = FOLDER) -> threading.Thread:
    """Write the missing copies in a daemon thread (the server answers uncompressed meanwhile)."""
    def work() -> None:
        try:
            written = precompress(scan(folder))
            log.debug("wrote %d compressed copies of static files", written)
        except OSError as exc:
            log.warning("static files are sent uncompressed: cannot write their copies (%s)", exc)

    thread = threading.Thread(target=work, name="precompress-static", daemon=True)
    thread.start()
    return thread


def serve_static_files(app: Quart) -> None:
    """Serve app.static_folder as described above; url_for("static") gives versioned URLs."""
    app.extensions["static_tree"] = scan(Path(str(app.static_folder)))
    app.session_interface = SessionUntouchedByStaticFiles()
    app.url_map.converters["static_version"] = VersionConverter
    app.view_functions["static"] = send_static
    app.add_url_rule(f"{app.static_url_path}/<static_version:version>/<path:filename>",
                     "static", send_static)

    @app.url_defaults
    def versioned(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            values.setdefault("version", tree_of(current_app).version)


def tree_of(app: Quart) -> StaticTree:
    return app.extensions["static_tree"]


@dataclass(frozen=True)
class Representation:
    """What answers a request for one file: the file or one of its copies, and its headers."""

    body: Path
    size: int
    encoding: str | None
    etag: str
    cache_control: str
    modified: datetime


async def send_static(filename: str, version: str | None = None) -> Any:
    """The file, or its copy in the best encoding the request accepts (see above)."""
    tree = tree_of(current_app)
    if _hidden(filename.split("/")):
        raise NotFound()
    chosen = representation(tree, filename, current=version == tree.version,
                            accepted=request.accept_encodings)
    response = current_app.response_class(current_app.response_class.file_body_class(chosen.body),
                                          mimetype=_mimetype(filename))
    response.content_length = chosen.size
    response.headers["Cache-Control"] = chosen.cache_control
    if _compressible(filename):
        response.headers["Vary"] = "Accept-Encoding"
    if chosen.encoding:
        response.headers["Content-Encoding"] = chosen.encoding
    response.set_etag(chosen.etag)
    response.last_modified = chosen.modified
    await response.make_conditional(request, accept_ranges=True, complete_length=chosen.size)
    return response


def representation(tree: StaticTree, filename: str, current: bool,
                   accepted: Accept) -> Representation:
    """The file as it is on disk now: its compressed copy only while it is still the file the
    start-up scan hashed, and the year-long cache only under the current version's URL."""
    joined = safe_join(str(tree.folder), filename)
    if joined is None or not os.path.isfile(joined):
        raise NotFound()
    path = Path(joined)
    stat = path.stat()
    known = tree.files.get(filename)
    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    if known is None or (known.size, known.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
        return Representation(path, stat.st_size, None, f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
                              REVALIDATE, modified)
    cache_control = IMMUTABLE if current else REVALIDATE
    # A strong ETag per representation: the content's digest, and the encoding it is sent in.
    tag = known.digest[:32]
    for encoding in _accepted_encodings(filename, accepted):
        try:
            size = tree.copy_of(filename, encoding).stat().st_size
        except OSError:  # not written (yet: the start-up thread is on its way), or cannot be
            continue
        if size < stat.st_size:
            return Representation(tree.copy_of(filename, encoding), size, encoding,
                                  f"{tag}-{encoding}", cache_control, modified)
    return Representation(path, stat.st_size, None, tag, cache_control, modified)


def _accepted_encodings(name: str, accepted: Accept) -> list[str]:
    """The encodings with copies that the request accepts, best first (br at a tie)."""
    if not _compressible(name):
        return []
    return sorted((e for e in ENCODINGS if accepted[e] > 0), key=lambda e: -accepted[e])


def _compressible(name: str) -> bool:
    return Path(name).suffix in COMPRESSIBLE


def _hidden(parts: tuple[str, ...] | list[str]) -> bool:
    return any(part.startswith(".") for part in parts)


def _mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _write_atomically(target: Path, data: bytes) -> None:
    """Never a half-written copy, even with two processes writing the same one."""
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".", delete=False) as handle:
        handle.write(data)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, target)

