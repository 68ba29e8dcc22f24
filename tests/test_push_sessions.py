"""A device's pushes end with the login session that subscribed it: logout, logging out
everywhere, a password reset and deactivation all stop them, and the sender checks again."""

from __future__ import annotations

from quart import Quart

from app.actions.accounts import revoke_sessions
from app.mail.tokens import password_reset_token
from app.models import Delivery, NotificationStatus, PushSubscription, Session, User
from config.settings import settings_of
from tests.helpers import Person, signed_in
from tests.pushservice import BrowserKeys, PushService
from tests.test_push import delivered, sender_paused, subscribe


async def nothing_pushed_to_bob(alice: Person, bob: Person, room_id: int,
                                push_service: PushService) -> None:
    """alice mentions bob; no push is owed, none is queued, none arrives."""
    response = await alice.say(room_id, "@bob the secret plans are attached")
    assert response.status_code == 303, await response.get_data(as_text=True)

    assert not await PushSubscription.exists(user_id=bob.user_id)
    assert not await Delivery.pushes().filter(user_id=bob.user_id).exists()
    assert push_service.received == []


async def test_after_bob_logs_out_a_mention_pushes_nothing_to_that_browser(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    response = await bob.post("/logout")
    assert response.status_code == 303

    await nothing_pushed_to_bob(alice, bob, room_id, push_service)


async def test_logging_out_ends_only_that_browsers_pushes(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service, "shared-computer")
    phone = await signed_in(app, await User.get(id=bob.user_id))
    keys = await subscribe(phone, push_service, "phone")

    await bob.post("/logout")
    await alice.say(room_id, "@bob still there?")
    await delivered(bob.user_id)

    assert push_service.to("shared-computer") == []
    [request] = push_service.to("phone")
    assert keys.read(request)["body"] == "@bob still there?"


async def test_after_bob_logs_out_everywhere_no_device_of_his_gets_a_push(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service, "laptop")
    phone = await signed_in(app, await User.get(id=bob.user_id))
    await subscribe(phone, push_service, "phone")

    async with app.app_context():
        assert await revoke_sessions(bob.user_id) == 2  # what "log out everywhere" does

    await nothing_pushed_to_bob(alice, bob, room_id, push_service)


async def test_after_a_password_reset_the_thiefs_browser_gets_no_more_pushes(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    thief = await signed_in(app, await User.get(id=bob.user_id))  # a stolen password, once
    await subscribe(thief, push_service, "thief")
    token = password_reset_token(settings_of(app).secret_key, await User.get(id=bob.user_id))

    response = await Person(app, "bob").post(f"/password/reset/{token}",
                                             {"password": "a brand new passphrase"})
    assert response.status_code == 303, await response.get_data(as_text=True)

    await nothing_pushed_to_bob(alice, bob, room_id, push_service)


async def test_after_bob_is_deactivated_his_devices_are_gone(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    response = await alice.post(f"/admin/users/{bob.user_id}/deactivation")
    assert response.status_code == 303, await response.get_data(as_text=True)

    assert not await PushSubscription.exists(user_id=bob.user_id)


async def test_a_push_queued_before_bob_logged_out_is_not_sent_after(
        app: Quart, alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)

    async with sender_paused(app) as sender:
        await alice.say(room_id, "@bob sent while you were still signed in")
        await bob.post("/logout")
        await sender.send_due()

    row = await Delivery.pushes().get(user_id=bob.user_id)
    assert (row.status, row.last_error) == (NotificationStatus.SKIPPED, "signed out")
    assert push_service.received == []


async def test_a_session_ended_on_another_process_cannot_subscribe_a_device(
        bob: Person, push_service: PushService) -> None:
    await bob.get("/rooms")  # this process now remembers bob's session for a while
    await Session.filter(user_id=bob.user_id).delete()  # as another process's logout does

    response = await bob.post("/push/subscriptions",
                              BrowserKeys().form(push_service.endpoint("phone")))

    assert response.status_code == 403
    assert (await response.get_json())["errors"]["form"].startswith("You were logged out")
    assert not await PushSubscription.exists()
