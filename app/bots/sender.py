"""The bot channel: a claimed 'bot' row is one signed call to the bot's URL; a 2xx answer with
something in it is posted as the bot's reply in the room. Claiming, retries and back-off are
the outbox loop's (app/outbox/loop.py); every call goes through the address guard
(app/outbound.py): checked right before it is made, pinned, no redirects, 5 s, a capped answer.

What becomes of a row: SENT (answered; the reply posted if there was one), SKIPPED (the
message, the bot's URL or its membership went away meanwhile), FAILED (the guard refused the
address, a 4xx other than 429, a redirect, an unusable answer, or out of attempts), or due
again after the back-off (a 5xx, a 429, a timeout, no connection).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions
from quart import Quart

from app.actions.bots import post_as_bot
from app.bots.call import ANSWER_MAX_BYTES, UnusableAnswer, call_body, read_answer, signed_headers
from app.errors import DomainError
from app.models import Bot, Channel, Delivery, Membership, Message, NotificationStatus, Room, User
from app.outbound import OutboundGuard, OutboundRefused
from app.outbox.loop import ChannelSender, RetryPolicy, finish
from config.settings import settings_of

log = logging.getLogger("parley.bots")
CALL_TIMEOUT = 5.0  # seconds to connect, and between bytes of the answer
MAX_ATTEMPTS = 5  # calls of one row before it is marked failed


@dataclass(frozen=True)
class Reply:
    """What the bot's server said: its status, content type and (capped) body."""

    status: int
    content_type: str
    body: bytes
    too_large: bool = False


class BotSender(ChannelSender):
    """Makes due bot calls; every process runs one, and SKIP LOCKED shares the rows out."""

    channel = Channel.BOT
    log = log

    def poll_seconds(self) -> float:
        """BOT_POLL_SECONDS."""
        return settings_of(self.app).bot_poll_seconds

    def retry_policy(self) -> RetryPolicy:
        """BOT_RETRY_SECONDS, doubled each time, up to MAX_ATTEMPTS calls."""
        return RetryPolicy(settings_of(self.app).bot_retry_seconds, MAX_ATTEMPTS)

    async def send(self, user: User, rows: list[Delivery], conn: Any) -> None:
        """Each row on its own: one call per message that mentioned the bot."""
        bot = await Bot.get_or_none(user_id=user.id, using_db=conn)
        for row in rows:
            await self._send(bot, user, row, conn)

    async def _send(self, bot: Bot | None, user: User, row: Delivery, conn: Any) -> None:
        message = await Message.get_or_none(id=row.message_id, deleted_at=None, using_db=conn)
        reason = await _reason_to_skip(bot, row, message, conn)
        if reason is not None or bot is None or message is None or bot.url is None:
            await finish([row], conn, NotificationStatus.SKIPPED, reason)
            return
        room = await Room.get(id=message.room_id, using_db=conn)
        author = await User.get_or_none(id=message.author_id, using_db=conn)
        timestamp = int(time.time())
        body = call_body(message, room, author, user, timestamp)
        guard: OutboundGuard = self.app.extensions["outbound"]
        try:
            reply = await call_bot(guard, bot.url, body, signed_headers(bot.signing_secret,
                                                                        timestamp, body))
        except OutboundRefused as exc:  # asking again would only ask the guard again
            await finish([row], conn, NotificationStatus.FAILED, f"refused: {exc}")
            log.warning("bot %s not called: %s", user.username, exc)
            return
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            await self.retry_later([row], conn, f"{type(exc).__name__}: {exc}")
            return
        await self._answered(bot, room, row, reply, conn)

    async def _answered(self, bot: Bot, room: Room, row: Delivery, reply: Reply,
                        conn: Any) -> None:
        if reply.status >= 500 or reply.status == 429:
            await self.retry_later([row], conn, f"the bot answered {reply.status}")
            return
        if reply.status >= 300:
            await finish([row], conn, NotificationStatus.FAILED,
                         f"the bot answered {reply.status} (redirects are not followed)"
                         if reply.status < 400 else f"the bot answered {reply.status}")
            return
        if reply.too_large:
            await finish([row], conn, NotificationStatus.FAILED,
                         f"the answer is over {ANSWER_MAX_BYTES // 1024} KiB")
            return
        try:
            answer = read_answer(reply.content_type, reply.body)
            if answer.payload is not None:
                await post_as_bot(bot, room, answer.payload, settings_of(self.app),
                                  client_msg_id=f"bot-answer-{row.id}", reply_to=row.message_id)
        except (UnusableAnswer, DomainError) as exc:
            await finish([row], conn, NotificationStatus.FAILED, f"answer not posted: {exc}")
            return
        await finish([row], conn, NotificationStatus.SENT, None)


async def _reason_to_skip(bot: Bot | None, row: Delivery, message: Message | None,
                          conn: Any) -> str | None:
    """Why the call is no longer owed: the message, the bot's URL or its membership is gone."""
    if message is None:
        return "the message was deleted"
    if bot is None or not bot.url:
        return "the bot has no URL any more"
    if not await Membership.filter(room_id=row.room_id, user_id=bot.user_id).using_db(conn).exists():
        return "the bot left the room"
    return None


async def call_bot(guard: OutboundGuard, url: str, body: bytes,
                   headers: dict[str, str]) -> Reply:
    """POST the call to the checked, pinned address (OutboundRefused: not made at all)."""
    destination = await guard.check(url, schemes=("https", "http"))
    if destination.scheme == "http" and not destination.allowed_network:
        raise OutboundRefused("plain http:// is allowed only to OUTBOUND_ALLOWED_NETWORKS")
    session = guard.pinned_session(destination)
    return await asyncio.to_thread(_post, session, url, body, headers)


def _post(session: requests.Session, url: str, body: bytes, headers: dict[str, str]) -> Reply:
    """The blocking POST (off the event loop): no redirects, a timeout, a capped answer."""
    with session, session.post(url, data=body, headers=headers, timeout=CALL_TIMEOUT,
                               allow_redirects=False, stream=True) as response:
        raw = response.raw.read(ANSWER_MAX_BYTES + 1, decode_content=True) \
            if response.status_code < 300 else b""
        return Reply(response.status_code, response.headers.get("Content-Type", ""),
                     raw[:ANSWER_MAX_BYTES], too_large=len(raw) > ANSWER_MAX_BYTES)


async def start_bots(app: Quart) -> BotSender:
    """Start this process's bot caller."""
    sender = BotSender(app)
    sender.start("bots")
    return sender


async def stop_bots(app: Quart) -> None:
    """Stop it; a call cut off mid-way rolls back and is made later."""
    sender: BotSender | None = app.extensions.pop("bots", None)
    if sender:
        await sender.stop()
