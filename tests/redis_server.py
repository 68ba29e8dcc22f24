"""Redis for the bus tests: the machine's shared server (never restarted or flushed), or a
throwaway `redis-server` of the test's own that it may stop and start again."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.server import free_port

SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def shared_redis_or_skip() -> str:
    """The shared Redis URL; skip the test, saying why, when it does not answer."""
    try:
        with redis.Redis.from_url(SHARED_REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
    except (redis.RedisError, OSError) as exc:
        pytest.skip(f"no Redis answers at {SHARED_REDIS_URL} (set TEST_REDIS_URL): {exc}")
    return SHARED_REDIS_URL


def subscribers(url: str, name: str, subscribed: bool = True) -> list[str]:
    """CLIENT LIST ids of the connections called `name` that subscribe (or, if not
    `subscribed`, that do not: the publishing ones)."""
    with redis.Redis.from_url(url) as client:
        return [c["id"] for c in client.client_list()
                if c.get("name") == name and (int(c.get("sub", 0)) > 0) == subscribed]


def kill_subscribers(url: str, name: str, subscribed: bool = True) -> int:
    """CLIENT KILL ID every connection `subscribers()` lists; how many there were."""
    ids = subscribers(url, name, subscribed)
    with redis.Redis.from_url(url) as client:
        for client_id in ids:
            client.client_kill_filter(_id=client_id)
    return len(ids)


class OwnRedis:
    """A redis-server on a free port, keeping nothing on disk, that a test may restart."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        folder.mkdir(parents=True, exist_ok=True)
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen | None = None

    def start(self) -> None:
        with (self.folder / "redis.log").open("a") as log:
            self._proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder)],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
                    client.ping()
                return
            except (redis.RedisError, OSError):
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "redis.log").read_text()
                    raise RuntimeError(f"redis-server did not start:\n{log}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)

    def restart(self) -> None:
        """Stop and start again on the same port: every connection to it drops."""
        self.stop()
        self.start()


@contextmanager
def own_redis(folder: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
