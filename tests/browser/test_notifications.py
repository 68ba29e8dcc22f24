"""Browser notifications, the service worker and the device list, in Chromium.

Chromium here cannot finish `pushManager.subscribe` (no push service is reachable), so the
browser half of Web Push is tested up to that call: it is made with the server's key, and the
page says pushes are unavailable. Delivery itself is tested with a real local push service in
tests/test_push.py.
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import (
    ARTIFACTS,
    LiveServer,
    create_room,
    screenshot,
    sign_up,
    two_members,
    unique,
    wait_live,
)
from tests.browser.test_private_messages import (
    has_a_key,
    make_team,
    open_conversation,
    send,
    start_conversation,
)
from tests.pushservice import BrowserKeys

# Records what the page does with notifications, permission, push and sound.
RECORDER = """
window.__notes = []; window.__permissionRequests = 0; window.__subscribeCalls = []; window.__chimes = 0;
const RealNotification = window.Notification;
class RecordedNotification extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.__notes.push({ title, body: options.body, tag: options.tag });
    window.__lastNote = this;
  }
}
Object.defineProperty(RecordedNotification, "permission", { get: () => RealNotification.permission });
RecordedNotification.requestPermission = (...args) => {
  window.__permissionRequests += 1;
  return RealNotification.requestPermission(...args);
};
window.Notification = RecordedNotification;
const realSubscribe = PushManager.prototype.subscribe;
PushManager.prototype.subscribe = function (options) {
  const key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  window.__subscribeCalls.push({ userVisibleOnly: options.userVisibleOnly, key });
  return realSubscribe.call(this, options);
};
const realOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__chimes += 1;
  return realOscillator.call(this);
};
"""
HIDE = """
Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
document.dispatchEvent(new Event("visibilitychange"));
"""


async def say(page: Page, text: str) -> None:
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".message .body").last).to_have_text(text)


async def notified(page: Page) -> None:
    """Wait until the page showed a notification (polled: the page's CSP forbids the string
    predicates wait_for_function evaluates)."""
    async with asyncio.timeout(15):
        while not await page.evaluate("window.__notes.length"):
            await page.wait_for_timeout(50)


async def notifications_on(bob: Page, base: str) -> str:
    """Allow notifications in bob's browser and press the button; returns bob's name."""
    await bob.context.grant_permissions(["notifications"], origin=base)
    await bob.get_by_role("button", name="Turn on notifications").click()
    await expect(bob.get_by_role("button", name="Turn off notifications")).to_be_visible()
    return (await bob.locator(".whoami").text_content()).strip()


async def test_a_hidden_tab_notifies_bob_of_a_mention_and_not_of_the_rest(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "alerts", bob_init_script=RECORDER) as pair:
        alice, bob = pair.alice, pair.bob
        alice_name = (await alice.locator(".whoami").text_content()).strip()
        await wait_live(bob)
        assert await bob.evaluate("window.__permissionRequests") == 0  # nothing asks on load

        bob_name = await notifications_on(bob, live_server.url)
        await expect(bob.locator("#notify-control .notify-status")).to_contain_text("Notifications are on")
        await bob.locator("#notify-control").get_by_label("Play a sound").check()
        status = bob.locator("#notify-control .notify-status")
        await expect(status).to_contain_text("pushes to this device are unavailable")
        key = await bob.locator("#notify-control").get_attribute("data-push-key")
        assert await bob.evaluate("window.__subscribeCalls") == [{"userVisibleOnly": True,
                                                                  "key": key}]
        await screenshot(bob, "notifications-opt-in")
        await bob.evaluate(HIDE)
        await say(bob, f"@{bob_name} a note to myself")  # my own: never
        await wait_live(alice)
        await say(alice, "just chatting")  # no mention, room on "mentions": no
        await say(alice, f"@{bob_name} the deploy is done")
        await notified(bob)

        assert await bob.evaluate("window.__notes") == [{
            "title": f"{alice_name} in #{pair.room_name}",
            "body": f"@{bob_name} the deploy is done", "tag": bob.url.replace(
                live_server.url + "/rooms/", "room-")}]
        assert await bob.evaluate("window.__chimes") == 1


async def test_a_room_on_every_message_notifies_a_tab_elsewhere_and_the_click_opens_it(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "everything",
                           bob_init_script=RECORDER) as pair:
        alice, bob = pair.alice, pair.bob
        await notifications_on(bob, live_server.url)
        await bob.locator(".room-menu > summary").click()
        await bob.get_by_role("radio", name="Everything").check()  # sent as it is chosen
        await expect(bob.locator(".flash")).to_be_visible()
        await bob.goto(f"{live_server.url}/rooms")  # a page that does not show the room
        await wait_live(bob)
        await bob.evaluate(HIDE)

        await wait_live(alice)
        await say(alice, "lunch in five?")
        await notified(bob)
        assert (await bob.evaluate("window.__notes"))[0]["body"] == "lunch in five?"
        await bob.evaluate("window.__lastNote.onclick()")

        await bob.wait_for_url(pair.room_url)
        await expect(bob.locator(".message .body").last).to_have_text("lunch in five?")


async def test_a_private_message_shows_its_text_only_where_this_tab_decrypted_it(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob = team.pages["alice"], team.pages["bob"]
    try:
        await team.contexts[1].add_init_script(RECORDER)
        for page in (alice, bob):
            await has_a_key(page)
        await start_conversation(alice, base, team.names["bob"])
        await open_conversation(bob, base, alice.url)
        await notifications_on(bob, base)
        await bob.evaluate(HIDE)

        await send(alice, "the launch code is 0000")
        await notified(bob)
        decrypted = (await bob.evaluate("window.__notes"))[0]
        await bob.goto(f"{base}/rooms")  # now a page that cannot decrypt it
        await wait_live(bob)
        await bob.evaluate(HIDE)
        await send(alice, "and the second one")
        await notified(bob)

        assert (decrypted["title"], decrypted["body"]) == (team.names["alice"],
                                                           "the launch code is 0000")
        note = (await bob.evaluate("window.__notes"))[0]
        assert (note["title"], note["body"]) == (team.names["alice"],
                                                 f"New private message from {team.names['alice']}")
    finally:
        await team.close()


async def test_the_service_worker_keeps_the_shell_and_never_messages(
        browser: Browser, live_server: LiveServer) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await sign_up(page, live_server.url, unique("carol"))
        room_url = await create_room(page, live_server.url, unique("offline"))
        await say(page, "a secret that stays on the server")
        await page.evaluate("navigator.serviceWorker.ready")
        await page.reload()  # now the worker controls the page and sees its requests
        await page.evaluate(f"fetch('{room_url}/messages?after=0')")
        await page.evaluate("fetch('/rooms')")

        cached = await page.evaluate("""async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls;
        }""")
        assert "/offline" in cached and any(re.fullmatch(r"/static/[0-9a-f]{12}/css/app.css", u)
                                            for u in cached)
        assert not [u for u in cached if u.startswith(("/rooms", "/dm", "/media")) or "messages" in u]

        await context.set_offline(True)
        await page.goto(room_url)
        await expect(page.locator("h1")).to_have_text("You are offline")
        assert "a secret" not in await page.content()
    finally:
        await context.close()


async def test_bob_sees_and_removes_his_devices_on_the_profile_page(
        browser: Browser, live_server: LiveServer) -> None:
    context = await browser.new_context(viewport={"width": 1100, "height": 1250})
    page = await context.new_page()
    try:
        await sign_up(page, live_server.url, unique("bob"))
        await page.goto(f"{live_server.url}/profile")  # a full load: the token rotated at sign-up
        for device in ("phone", "laptop"):  # what the page posts once subscribe succeeds
            form = BrowserKeys().form(f"https://push.example.com/{device}")
            status = await page.evaluate("""async (form) => {
                const body = new FormData();
                for (const [k, v] of Object.entries(form)) body.append(k, v);
                const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
                const headers = { "X-CSRF-Token": token };
                return (await fetch("/push/subscriptions", { method: "POST", body, headers })).status;
            }""", form)
            assert status == 201

        await page.goto(f"{live_server.url}/profile")
        devices = page.locator(".device .device-name")
        await expect(devices).to_have_count(2)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "profile-devices.png"))
        await page.locator(".device").first.get_by_role("button", name="Remove").click()

        await expect(page.locator(".flash")).to_contain_text("will get no more notifications")
        await expect(devices).to_have_count(1)
    finally:
        await context.close()

