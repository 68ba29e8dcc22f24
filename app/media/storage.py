"""Media files on disk: opaque random keys, sharded directories, atomic writes, no orphans."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path

KEY = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    """An unguessable key that names one stored file (never derived from the upload)."""
    return secrets.token_hex(16)


def is_valid_key(key: str) -> bool:
    """True only for keys new_key() could have made, so a key can never spell a path."""
    return bool(KEY.fullmatch(key))


def media_path(root: Path, key: str) -> Path:
    """Where the file for `key` lives: root/ab/cd/abcd… (two levels keep directories small)."""
    if not is_valid_key(key):
        raise ValueError("malformed media key")
    return root / key[:2] / key[2:4] / key


async def write_files(root: Path, blobs: Sequence[bytes]) -> list[str]:
    """Store each blob under a fresh key; all are written or none are, even if we are cancelled."""
    job = asyncio.ensure_future(asyncio.to_thread(_write_all, root, list(blobs)))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        # The thread cannot be stopped, so delete its files once it finishes.
        def delete_written(done: asyncio.Future[list[str]]) -> None:
            if not done.cancelled() and done.exception() is None:
                delete_files(root, done.result())

        job.add_done_callback(delete_written)
        raise


def delete_files(root: Path, keys: Sequence[str | None]) -> None:
    """Remove stored files (missing ones are fine); synchronous so it also runs while cancelling."""
    for key in keys:
        if key and is_valid_key(key):
            with contextlib.suppress(FileNotFoundError):
                media_path(root, key).unlink()


def _write_all(root: Path, blobs: list[bytes]) -> list[str]:
    keys: list[str] = []
    try:
        for blob in blobs:
            key = new_key()
            _write_atomic(media_path(root, key), blob)
            keys.append(key)
    except BaseException:
        delete_files(root, keys)
        raise
    return keys


def _write_atomic(path: Path, blob: bytes) -> None:
    """Write to a temporary file in the same directory, fsync, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
