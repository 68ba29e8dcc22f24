"""Media storage: random sharded keys, atomic writes, nothing left behind by an interrupted write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.media.storage import delete_files, is_valid_key, media_path, write_files
from tests.mailbox import eventually


def files_under(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file())


async def test_files_are_stored_under_random_sharded_keys(tmp_path: Path) -> None:
    keys = await write_files(tmp_path, [b"full", b"thumb"])

    assert len(set(keys)) == 2 and all(is_valid_key(k) for k in keys)
    for key, blob in zip(keys, [b"full", b"thumb"], strict=True):
        assert media_path(tmp_path, key) == tmp_path / key[:2] / key[2:4] / key
        assert media_path(tmp_path, key).read_bytes() == blob
    assert files_under(tmp_path) == sorted(keys)


async def test_a_cancelled_write_leaves_no_file(tmp_path: Path) -> None:
    task = asyncio.create_task(write_files(tmp_path, [b"x" * 20_000_000] * 3))
    await asyncio.sleep(0)  # the task runs up to its first await: the write in its thread

    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    # the worker thread finishes its write, then its files are removed
    await eventually(lambda: files_under(tmp_path) == [])


def test_delete_files_ignores_missing_and_malformed_keys(tmp_path: Path) -> None:
    delete_files(tmp_path, ["0" * 32, "../../etc/passwd", None])


@pytest.mark.parametrize("key", ["../secret", "ABCDEF0123456789ABCDEF0123456789", "abc", "g" * 32])
def test_a_malformed_key_never_becomes_a_path(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        media_path(tmp_path, key)
