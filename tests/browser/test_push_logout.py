"""Logging out in Chromium ends this browser's Web Push: the page unsubscribes it at the push
service and turns notifications off here, and the server forgot the device with the session.

Chromium here cannot hold a real push subscription (no push service is reachable), so the
page's PushManager hands out a recorded one; its unsubscribe() is what the page must call.
"""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import PASSWORD, LiveServer, sign_up, unique
from tests.pushservice import BrowserKeys

RECORDED_SUBSCRIPTION = """
PushManager.prototype.getSubscription = async function () {
  return {
    endpoint: "https://push.example.com/this-browser",
    unsubscribe: async () => { sessionStorage.setItem("unsubscribed", "yes"); return true; },
  };
};
"""


async def test_logging_out_unsubscribes_this_browser_and_forgets_its_device(
        browser: Browser, live_server: LiveServer) -> None:
    context = await browser.new_context()
    await context.add_init_script(RECORDED_SUBSCRIPTION)
    page = await context.new_page()
    try:
        name = unique("bob")
        await sign_up(page, live_server.url, name)
        await page.goto(f"{live_server.url}/profile")  # a full load: the token rotated at sign-up
        assert await page.evaluate("""async () => {
            await navigator.serviceWorker.register("/sw.js");
            await navigator.serviceWorker.ready;
            localStorage.setItem("parley.notifications", "on");
            return true;
        }""")
        status = await page.evaluate("""async (form) => {
            const body = new FormData();
            for (const [k, v] of Object.entries(form)) body.append(k, v);
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
            const headers = { "X-CSRF-Token": token };
            return (await fetch("/push/subscriptions", { method: "POST", body, headers })).status;
        }""", BrowserKeys().form("https://push.example.com/this-browser"))
        assert status == 201

        await page.get_by_role("button", name="Log out").click()
        await expect(page.get_by_role("heading", name="Log in")).to_be_visible()

        assert await page.evaluate("sessionStorage.getItem('unsubscribed')") == "yes"
        assert await page.evaluate("localStorage.getItem('parley.notifications')") == "off"
        await page.fill("#username", name)
        await page.fill("#password", PASSWORD)
        await page.click("form button[type=submit]")
        await page.wait_for_url(f"{live_server.url}/rooms")
        await page.goto(f"{live_server.url}/profile")
        await expect(page.locator(".no-devices")).to_be_visible()
    finally:
        await context.close()
