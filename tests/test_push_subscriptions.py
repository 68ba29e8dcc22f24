"""Devices for Web Push: a browser subscribes itself; the profile lists and removes them."""

from __future__ import annotations

import pytest

from app.actions.push_subscriptions import device_name
from app.models import PushSubscription
from tests.helpers import Person, select, select_one
from tests.pushservice import BrowserKeys, b64url

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
ENDPOINT = "https://push.example.com/send/abc123"


async def test_a_browser_subscribes_and_the_profile_lists_it(bob: Person) -> None:
    response = await bob.post("/push/subscriptions", BrowserKeys().form(ENDPOINT),
                              headers={"User-Agent": CHROME_LINUX})

    assert response.status_code == 201
    page = await (await bob.get("/profile")).get_data()
    [device] = select(page, "#devices + p + .device-list .device")
    assert device.select_one(".device-name").text == "Chrome on Linux"


async def test_subscribing_again_updates_the_device_instead_of_adding_one(bob: Person) -> None:
    await bob.post("/push/subscriptions", BrowserKeys().form(ENDPOINT))
    keys = BrowserKeys()

    await bob.post("/push/subscriptions", keys.form(ENDPOINT))

    [device] = await PushSubscription.filter(user_id=bob.user_id)
    assert device.p256dh == keys.p256dh


async def test_a_browser_that_signs_into_another_account_moves_its_device(
        alice: Person, bob: Person) -> None:
    await alice.post("/push/subscriptions", BrowserKeys().form(ENDPOINT))

    await bob.post("/push/subscriptions", BrowserKeys().form(ENDPOINT))

    assert await PushSubscription.get(endpoint=ENDPOINT).values_list("user_id", flat=True) \
        == bob.user_id


@pytest.mark.parametrize(("field", "value"), [
    ("endpoint", "http://push.example.com/x"),  # not https
    ("endpoint", "https://10.0.0.5/x"),  # an address, not a push service's name
    ("endpoint", "https://localhost/x"),
    ("endpoint", ""),
    ("p256dh", "not-a-key"),
    ("p256dh", b64url(b"\x05" + b"\x00" * 64)),  # not an uncompressed point
    ("auth", b64url(b"short")),
])
async def test_a_malformed_subscription_is_refused_with_the_reason(
        bob: Person, field: str, value: str) -> None:
    form = {**BrowserKeys().form(ENDPOINT), field: value}

    response = await bob.post("/push/subscriptions", form)

    assert response.status_code == 400
    assert field in (await response.get_json())["errors"]
    assert not await PushSubscription.exists()


async def test_subscribing_needs_the_csrf_token(bob: Person) -> None:
    response = await bob.client.post("/push/subscriptions", form=BrowserKeys().form(ENDPOINT))

    assert response.status_code == 403
    assert not await PushSubscription.exists()


async def test_bob_removes_a_device_from_his_profile(bob: Person) -> None:
    await bob.post("/push/subscriptions", BrowserKeys().form(ENDPOINT),
                   headers={"User-Agent": CHROME_LINUX})
    page = await (await bob.get("/profile")).get_data()
    form = select_one(page, ".device form")

    response = await bob.post(form["action"])

    assert response.status_code == 303
    assert response.headers["Location"] == "/profile#devices"
    page = await (await bob.get("/profile")).get_data()
    assert "Chrome on Linux will get no more notifications." in select_one(page, ".flash").text
    assert select_one(page, ".no-devices")
    assert not await PushSubscription.exists()


async def test_mallory_cannot_remove_bobs_device(bob: Person, mallory: Person) -> None:
    await bob.post("/push/subscriptions", BrowserKeys().form(ENDPOINT))
    device = await PushSubscription.get(user_id=bob.user_id)

    response = await mallory.post(f"/push/subscriptions/{device.id}/deletion")

    assert response.status_code == 404
    assert await PushSubscription.exists(id=device.id)


async def test_removing_needs_the_csrf_token(bob: Person) -> None:
    await bob.post("/push/subscriptions", BrowserKeys().form(ENDPOINT))
    device = await PushSubscription.get(user_id=bob.user_id)

    response = await bob.client.post(f"/push/subscriptions/{device.id}/deletion")

    assert response.status_code == 403
    assert await PushSubscription.exists(id=device.id)


@pytest.mark.parametrize(("agent", "name"), [
    (CHROME_LINUX, "Chrome on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
     "Firefox on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
     "Version/18.0 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0) Chrome/140.0 Safari/537.36 Edg/140.0", "Edge on Windows"),
    ("", "A browser"),
])
def test_devices_are_named_by_browser_and_system(agent: str, name: str) -> None:
    assert device_name(agent) == name
