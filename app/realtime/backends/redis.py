"""The Redis bus (`BUS_URL=redis://…`): PUBLISH/SUBSCRIBE on one supervised connection.

broadcaster's own Redis backend loses messages silently when its connection dies (its reader
task fails and nobody awaits it), and redis-py on its own quietly reconnects and re-subscribes,
which loses whatever was published in between just as silently. Here the reader reports any
error or unexpected reconnect as a lost connection; the supervisor then opens a fresh one,
subscribes again and resyncs local clients (1012), who catch up from the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.realtime.backends.supervised import SupervisedBackend

log = logging.getLogger("parley.bus")
BUS_CLIENT_NAME = "parley-bus"  # shown in CLIENT LIST; a `client_name=` in the URL wins


class RedisBusBackend(SupervisedBackend):
    """One subscriber connection and one for publishing, re-opened together when either dies."""

    connection_errors = (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError)

    _client: redis.Redis | None = None
    _pubsub: Any = None
    _reader: asyncio.Task[None] | None = None

    async def _open(self) -> None:
        # No retries inside redis-py: a retry there reconnects without telling us.
        named: dict[str, Any] = {} if "client_name=" in self.url \
            else {"client_name": BUS_CLIENT_NAME}
        client = redis.Redis.from_url(self.url, retry=Retry(NoBackoff(), 0), **named)
        self._client, self._pubsub = client, client.pubsub()
        self._pong = asyncio.Event()
        await client.ping()
        await self._pubsub.connect()
        self._pubsub.connection.register_connect_callback(self._reconnected_behind_our_back)
        if self._channels:
            await self._pubsub.subscribe(*self._channels)
        self._reader = asyncio.create_task(self._read(self._pubsub), name="redis-bus-reader")

    async def _close(self, graceful: bool) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        for closable in (self._pubsub, self._client):
            if closable is not None:
                with contextlib.suppress(*self.connection_errors):
                    await asyncio.wait_for(closable.aclose(), 2 if graceful else 0.5)
        self._pubsub = self._client = None

    async def _ping(self) -> None:
        """PING on the subscriber connection itself: its PONG comes back through the reader."""
        self._pong.clear()
        await self._live().ping()
        await self._pong.wait()  # the supervisor bounds the wait

    async def _listen(self, channel: str) -> None:
        await self._live().subscribe(channel)

    async def _unlisten(self, channel: str) -> None:
        await self._live().unsubscribe(channel)

    async def _send(self, channel: str, message: str) -> None:
        if self._client is None:
            raise RedisConnectionError("the bus connection is closed")
        try:
            await self._client.publish(channel, message)
        except self.connection_errors:
            # A publishing connection that died alone: once more on a fresh one (receivers
            # drop a message they already show, so twice is harmless; never is not).
            await self._client.publish(channel, message)

    def _live(self) -> Any:
        if self._pubsub is None:
            raise RedisConnectionError("the bus connection is closed")
        return self._pubsub

    async def _read(self, pubsub: Any) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                if message["type"] == "message":
                    self.received(_text(message["channel"]), _text(message["data"]))
                elif message["type"] == "pong":
                    self._pong.set()
        except Exception as exc:  # whatever ends the reader, nobody else would notice
            log.warning("redis bus reader stopped: %r", exc)
            self.connection_lost()

    async def _reconnected_behind_our_back(self, _connection: Any) -> None:
        self.connection_lost()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
