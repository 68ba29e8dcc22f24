"""Web Push: who gets one, what it says (decrypted here as the browser would), and when not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from quart import Quart

from app.models import Delivery, NotificationStatus, PushSubscription
from app.polling import stop_task
from app.push.sender import PushSender
from config.settings import attach, settings_of
from tests.helpers import Person, publish_key, sealed_form, start_direct
from tests.live import registered, socket
from tests.mailbox import SmtpServer, eventually
from tests.pushservice import BrowserKeys, PushService, vapid_claims


async def subscribe(person: Person, service: PushService, device: str = "phone") -> BrowserKeys:
    keys = BrowserKeys()
    response = await person.post("/push/subscriptions", keys.form(service.endpoint(device)),
                                 headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) "
                                          "Chrome/140.0 Safari/537.36"})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return keys


async def delivered(user_id: int | None,
                    status: NotificationStatus = NotificationStatus.SENT) -> Delivery:
    """Wait until the user's only push row reaches `status`."""
    await eventually(lambda: Delivery.pushes().filter(user_id=user_id, status=status).exists())
    return await Delivery.pushes().get(user_id=user_id)


@asynccontextmanager
async def sender_paused(app: Quart) -> AsyncIterator[PushSender]:
    """Stop the push sender's loop so a test can change things before a row is sent."""
    sender: PushSender = app.extensions["push"]
    await stop_task(sender.task)
    try:
        yield sender
    finally:
        sender.task = asyncio.create_task(sender.run())


async def test_a_mention_reaches_bobs_device_and_decrypts_there(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    keys = await subscribe(bob, push_service)

    await alice.say(room_id, "@bob can you look at the release notes?")
    row = await delivered(bob.user_id)

    [request] = push_service.to("phone")
    assert keys.read(request) == {"title": "alice mentioned you in #general",
                                  "body": "@bob can you look at the release notes?",
                                  "url": f"/rooms/{room_id}", "tag": f"room-{room_id}"}
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) > 0
    claims = vapid_claims(request, app.extensions["push"].keys.application_server_key)
    assert claims["aud"] == push_service.endpoint("phone").split("/push/")[0]
    assert claims["sub"].startswith("mailto:")
    assert row.sent_at is not None
    assert (await PushSubscription.get(user_id=bob.user_id)).last_push_at is not None


async def test_each_push_service_gets_its_own_audience(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    other = PushService()
    await other.start()
    try:
        await subscribe(bob, push_service, "phone")
        keys = BrowserKeys()
        await bob.post("/push/subscriptions", keys.form(other.endpoint("laptop")))

        await alice.say(room_id, "@bob ping")
        await delivered(bob.user_id)

        key = app.extensions["push"].keys.application_server_key
        [first], [second] = push_service.to("phone"), other.to("laptop")
        assert vapid_claims(first, key)["aud"] != vapid_claims(second, key)["aud"]
        assert keys.read(second)["body"] == "@bob ping"
    finally:
        await other.stop()


async def test_a_private_message_push_names_the_sender_and_carries_no_content(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    keys = await subscribe(bob, push_service)
    member_keys = [await publish_key(alice), await publish_key(bob)]
    direct = await start_direct(alice, "bob")
    form = sealed_form(member_keys[0], member_keys)

    response = await alice.post(f"/rooms/{direct}/messages", form)
    assert response.status_code == 303, await response.get_data(as_text=True)
    await delivered(bob.user_id)

    [request] = push_service.to("phone")
    payload = keys.read(request)
    assert payload["body"] == "New private message from alice"
    assert payload["url"] == f"/rooms/{direct}"
    assert json.loads(form["envelope"])["ciphertext"] not in str(payload)


async def test_no_push_for_a_message_that_does_not_mention_bob(
        alice: Person, bob: Person, room_id: int, push_service: PushService,
        smtp: SmtpServer) -> None:
    await subscribe(bob, push_service)
    await bob.post(f"/rooms/{room_id}/notifications", {"email_mode": "all"})

    await alice.say(room_id, "lunch at noon")
    await eventually(lambda: Delivery.emails().filter(user_id=bob.user_id).exists())  # e-mail: every message

    assert not await Delivery.pushes().filter(user_id=bob.user_id).exists()  # pushes: mentions only


async def test_no_push_to_bob_while_a_tab_of_his_is_open(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    async with socket(bob):
        await registered(bob)
        await alice.say(room_id, "@bob are you there?")

    assert not await Delivery.pushes().filter(user_id=bob.user_id).exists()


async def test_no_push_without_a_subscribed_device_or_for_ones_own_message(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(alice, push_service)

    await alice.say(room_id, "@bob hello, and a note to self @alice")

    assert not await Delivery.pushes().exists()


async def test_email_still_follows_a_push_when_the_mention_stays_unread(
        alice: Person, bob: Person, room_id: int, push_service: PushService,
        smtp: SmtpServer) -> None:
    await subscribe(bob, push_service)

    await alice.say(room_id, "@bob please review")
    await delivered(bob.user_id)
    await eventually(lambda: Delivery.emails().filter(user_id=bob.user_id,
                                                 status=NotificationStatus.SENT).exists())

    [mail] = smtp.inbox.to("bob@example.com")
    assert "please review" in mail.text


async def test_a_push_bob_read_first_is_skipped(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    async with sender_paused(app) as sender:
        await alice.say(room_id, "@bob read this")
        await bob.post(f"/rooms/{room_id}/read-marker")  # what the page posts once shown
        await sender.send_due()

    row = await Delivery.pushes().get(user_id=bob.user_id)
    assert (row.status, row.last_error) == (NotificationStatus.SKIPPED, "read")
    assert push_service.received == []


async def test_a_push_for_a_room_bob_muted_since_is_skipped(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    async with sender_paused(app) as sender:
        await alice.say(room_id, "@bob noise")
        await bob.post(f"/rooms/{room_id}/notifications", {"email_mode": "none"})
        await sender.send_due()

    row = await Delivery.pushes().get(user_id=bob.user_id)
    assert (row.status, row.last_error) == (NotificationStatus.SKIPPED, "muted")


async def test_no_push_goes_to_bob_once_he_is_deactivated(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    async with sender_paused(app) as sender:
        await alice.say(room_id, "@bob before you go")
        response = await alice.post(f"/admin/users/{bob.user_id}/deactivation")
        assert response.status_code == 303, await response.get_data(as_text=True)
        await sender.send_due()

    row = await Delivery.pushes().get(user_id=bob.user_id)
    assert (row.status, row.last_error) == (NotificationStatus.SKIPPED, "deactivated")
    assert push_service.received == []


async def test_a_push_for_bob_who_came_online_since_is_skipped(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    async with sender_paused(app) as sender:
        await alice.say(room_id, "@bob hi")
        async with socket(bob):
            await registered(bob)
            await sender.send_due()

    row = await Delivery.pushes().get(user_id=bob.user_id)
    assert (row.status, row.last_error) == (NotificationStatus.SKIPPED, "online")


async def test_a_push_for_a_message_deleted_since_is_skipped(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    async with sender_paused(app) as sender:
        await alice.say(room_id, "@bob oops wrong room")
        row = await Delivery.pushes().get(user_id=bob.user_id)
        await alice.post(f"/rooms/{room_id}/messages/{row.message_id}/deletion")
        await sender.send_due()

    await row.refresh_from_db()
    assert (row.status, row.last_error) == (NotificationStatus.SKIPPED, "deleted")


async def test_a_device_the_push_service_says_is_gone_is_forgotten(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    for status in (410, 404):
        await subscribe(bob, push_service)
        push_service.status = status

        body = f"@bob answer {status}"
        await alice.say(room_id, body)
        await eventually(lambda body=body: Delivery.pushes().filter(
            user_id=bob.user_id, status="skipped", message__body=body).exists())

        assert not await PushSubscription.exists(user_id=bob.user_id)
    rows = await Delivery.pushes().filter(user_id=bob.user_id)
    assert {(r.status, r.last_error) for r in rows} == {(NotificationStatus.SKIPPED, "no subscribed device")}


async def test_a_failing_push_service_is_retried_until_it_takes_the_push(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    keys = await subscribe(bob, push_service)
    push_service.status = 503

    await alice.say(room_id, "@bob retry me")
    await eventually(lambda: Delivery.pushes().filter(user_id=bob.user_id, attempts__gte=1).exists())
    push_service.status = 201
    row = await delivered(bob.user_id)

    assert row.attempts >= 1 and "503" in row.last_error
    assert keys.read(push_service.to("phone")[-1])["body"] == "@bob retry me"


async def test_a_push_service_that_never_answers_times_out(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)
    push_service.stall = True
    attach(app, replace(settings_of(app), push_timeout_seconds=0.5))

    await alice.say(room_id, "@bob hello?")
    await eventually(lambda: Delivery.pushes().filter(user_id=bob.user_id, attempts__gte=1).exists())

    row = await Delivery.pushes().get(user_id=bob.user_id)
    assert row.status == NotificationStatus.PENDING and "Timeout" in row.last_error
