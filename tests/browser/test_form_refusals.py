"""Every form says why it refused, in words on the page, with JavaScript on and with it off."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PASSWORD, LiveServer, create_room, sign_up, unique

# Where a refusal can be said: a field's or form's error, an error page, the page's alert
# (requests that swap a fragment), the composer's own line.
REFUSAL = ".field-error, .form-error, .error-page p, .page-alert, #composer-error .field-error"


async def _refused(page: Page, action: str) -> None:
    """The refusal for `action` is visible text on the page (not a dead button)."""
    shown = page.locator(REFUSAL).filter(has_text=re.compile(r"\w")).first
    await expect(shown, f"no visible refusal for {action}").to_be_visible()
    # The next step starts from a clean page: a stale alert must not pass for a fresh refusal.
    await page.evaluate("() => document.querySelectorAll('.page-alert').forEach(e => e.remove())")


async def _tamper(page: Page, selector: str, value: str) -> None:
    """Give a field a value its form never offers (a crafted request), then submit it."""
    await page.locator(selector).evaluate("(el, v) => { el.value = v; }", value)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_every_form_shows_its_refusal(browser: Browser, live_server: LiveServer,
                                            javascript: bool) -> None:
    base = live_server.url
    other_ctx = await browser.new_context()
    taken = unique("taken")
    await sign_up(await other_ctx.new_page(), base, taken)
    ctx = await browser.new_context(java_script_enabled=javascript)
    page = await ctx.new_page()

    await page.goto(f"{base}/register")
    await page.fill("#username", taken)
    await page.fill("#email", f"{unique('x')}@example.com")
    await page.fill("#password", PASSWORD)
    await page.click("form.stack button[type=submit]")
    await _refused(page, "sign-up with a taken name")
    await expect(page.locator("#username-error")).to_contain_text("taken")

    await page.goto(f"{base}/login")
    await page.fill("#username", taken)
    await page.fill("#password", "not the password")
    await page.click("form.stack button[type=submit]")
    await _refused(page, "log-in with a wrong password")
    await expect(page.locator(".form-error")).to_contain_text("do not match")

    me = unique("walker")
    await sign_up(page, base, me)
    await page.fill("#name", "   ")
    await page.click("text=Create room")
    await _refused(page, "a room with a blank name")
    room_url = await create_room(page, base, unique("forms"))

    await page.fill("#body", "x" * 10_001)  # over the default MESSAGE_MAX_CHARS
    await page.click("#composer button[type=submit]")
    await _refused(page, "a message over the length limit")
    await page.goto(room_url)
    await page.fill("#body", "a message to edit")
    await page.click("#composer button[type=submit]")
    await expect(page.locator(".message .body")).to_have_text(["a message to edit"])

    await page.goto(room_url)
    await page.locator(".message .manage-edit").click()
    await page.fill("#edit-body", "   ")
    await page.click(".edit-form button[type=submit]")
    await _refused(page, "an edit to a blank message")

    await page.goto(room_url)
    await page.locator(".reaction-picker summary").click()
    await _tamper(page, ".reaction-picker .pick >> nth=0", "not-an-emoji")
    await page.locator(".reaction-picker .pick").first.click()
    await _refused(page, "a reaction that is not an emoji")

    await page.goto(room_url)
    await page.locator(".settings summary").click()
    await page.fill("#room-name", "   ")
    await page.locator(".settings button[type=submit]").click()
    await _refused(page, "room settings with a blank name")

    await page.goto(room_url)
    await page.locator(".room-menu > summary").click()
    await _tamper(page, ".involvement-form input[value=everything]", "sometimes")
    await page.locator(".involvement-form input[value=sometimes]").check()  # sent, with scripts
    if not javascript:
        await page.locator(".involvement-form button[type=submit]").click()
    await _refused(page, "an involvement that does not exist")

    await page.goto(f"{base}/profile")
    await page.set_input_files("#avatar", files=[{"name": "notes.png", "mimeType": "image/png",
                                                  "buffer": b"not an image at all"}])
    await page.click(".avatar-form button[type=submit]")
    await _refused(page, "a profile photo that is not an image")

    await page.goto(f"{base}/profile")
    await _tamper(page, "#delay option >> nth=1", "forever")
    await page.select_option("#delay", index=1)
    await page.click(".notifications-form button[type=submit]")
    await _refused(page, "an e-mail delay that is not offered")

    await page.goto(f"{base}/dm/{unique('nobody')}")  # nobody shares a room with them
    await _refused(page, "a conversation with nobody")

    await page.goto(f"{base}/rooms")
    await page.fill("#name", unique("private"))
    await page.check("input[name=visibility][value=private]")
    await page.click("text=Create room")
    await page.locator("#invite-username").wait_for()
    await page.fill("#invite-username", unique("nobody"))
    await page.locator(".invite button[type=submit]").click()
    await _refused(page, "an invitation for nobody")
    await ctx.close()
    await other_ctx.close()
