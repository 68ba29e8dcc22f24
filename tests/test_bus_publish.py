"""On a bus that is not PostgreSQL (Redis), an event published in a transaction is sent after
its COMMIT, and never when it rolls back: receivers never load a row that is not there yet.
And BUS_URL's scheme picks the bus, with a channel per instance where the server is shared."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as redis
from quart import Quart
from tortoise.transactions import in_transaction as orm_transaction

from app.realtime.backends.postgres import PostgresBusBackend
from app.realtime.backends.redis import RedisBusBackend
from app.realtime.bus import Bus
from app.realtime.events import Event, InvitationsChanged
from app.realtime.publish import in_transaction, publish, send_events_with
from tests.redis_server import shared_redis_or_skip


class RedisChannel:
    """A channel of its own on the shared Redis, published to by the app, read here."""

    def __init__(self, client: redis.Redis, pubsub: redis.client.PubSub, name: str) -> None:
        self.client, self.pubsub, self.name = client, pubsub, name

    async def send(self, payload: str) -> None:
        await self.client.publish(self.name, payload)

    async def heard(self) -> str:
        """The next message on the channel (the subscription's own replies are skipped)."""
        async with asyncio.timeout(10):
            while True:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True,
                                                        timeout=None)
                if message is not None:
                    return message["data"].decode()


class Abandoned(Exception):
    """Raised inside a transaction to roll it back."""


@pytest_asyncio.fixture
async def redis_bus(app: Quart) -> AsyncIterator[RedisChannel]:
    client = redis.Redis.from_url(shared_redis_or_skip())
    pubsub = client.pubsub()
    channel = RedisChannel(client, pubsub, f"parley-test-{secrets.token_hex(4)}")
    await pubsub.subscribe(channel.name)
    send_events_with(channel.send)
    async with app.app_context():
        yield channel
    send_events_with(None)
    await pubsub.aclose()
    await client.aclose()


def _event(user_id: int) -> Event:
    return InvitationsChanged(user_id=user_id)


async def test_an_event_published_in_a_transaction_is_sent_after_its_commit(
        redis_bus: RedisChannel) -> None:
    async with in_transaction() as conn:
        await publish(_event(1), using_db=conn)
        await redis_bus.send("still inside the transaction")

    assert await redis_bus.heard() == "still inside the transaction"
    assert await redis_bus.heard() == _event(1).to_json()


async def test_an_event_published_in_a_rolled_back_transaction_is_never_sent(
        redis_bus: RedisChannel) -> None:
    with pytest.raises(Abandoned):
        async with in_transaction() as conn:
            await publish(_event(2), using_db=conn)
            raise Abandoned
    await redis_bus.send("after the rollback")

    assert await redis_bus.heard() == "after the rollback"


async def test_publishing_inside_a_bare_orm_transaction_is_refused(
        redis_bus: RedisChannel) -> None:
    with pytest.raises(RuntimeError, match="heard too early"):
        async with orm_transaction() as conn:
            await publish(_event(3), using_db=conn)


async def _nothing(*_: object) -> None:
    return None


def test_a_redis_url_gets_the_redis_bus_on_a_channel_named_after_the_instance() -> None:
    on_redis = Bus("redis://127.0.0.1:6379/0", _nothing, _nothing, namespace="1f2e3d")
    on_postgres = Bus("postgresql://u@127.0.0.1/chat_a", _nothing, _nothing, namespace="1f2e3d")

    assert isinstance(on_redis.backend, RedisBusBackend)
    assert isinstance(Bus("rediss://h:6380/0", _nothing, _nothing).backend, RedisBusBackend)
    assert on_redis.channel == "parley_events:1f2e3d"
    assert isinstance(on_postgres.backend, PostgresBusBackend)
    assert on_postgres.channel == "parley_events"  # NOTIFY channels are per database already
