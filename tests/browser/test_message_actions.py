"""A message's action bar (Reply, React, Edit, Delete): it never covers text, on a wide screen
(hover) or a phone (tap), light or dark; Delete asks first and works without JavaScript too;
a run of my messages is one card, and a deleted message keeps its author's run together."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, TwoMembers, screenshot, two_members

CONTINUED = re.compile(r"\bcontinued\b")
LONG = ("A long message that wraps over several lines on every screen, so that the first line "
        "of a grouped message runs right across the row where the actions show up on hover, "
        "and again on the phone where there is hardly any room at all for anything beside it.")

# Boxes of every line of text in a message (each text node's line boxes, not the blocks'
# boxes, which span the whole width) and of every visible control of its action bar.
BOXES = """(message) => {
  const bar = [...message.querySelectorAll(
      ".message-actions a, .manage a, .reaction-picker summary")].filter((el) => {
    if (!el.getClientRects().length) return false;
    for (let node = el; node && node !== message; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.opacity === "0" || style.visibility === "hidden") return false;
    }
    return true;
  });
  const text = [];
  const walker = document.createTreeWalker(message, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const owner = node.parentElement;
    if (owner.closest(".message-actions, .manage, .reaction-picker, .visually-hidden, .author")
        && !owner.closest(".body, .reply-quote")) continue;
    if (getComputedStyle(owner).visibility === "hidden") continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (!r.width || !r.height) continue;
      text.push({x: r.left, y: r.top, r: r.right, b: r.bottom, t: node.textContent.trim().slice(0, 20)});
    }
  }
  const boxes = bar.map((el) => { const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, r: r.right, b: r.bottom, t: el.textContent.trim()}; });
  return {bar: boxes, text};
}"""


def _overlaps(boxes: dict) -> list[tuple[str, str]]:
    return [(bar["t"], text["t"]) for bar in boxes["bar"] for text in boxes["text"]
            if bar["x"] < text["r"] - 0.5 and text["x"] < bar["r"] - 0.5
            and bar["y"] < text["b"] - 0.5 and text["y"] < bar["b"] - 0.5]


async def _say(page: Page, text: str) -> None:
    count = await page.locator(".message").count()
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".message")).to_have_count(count + 1)


@asynccontextmanager
async def _viewer(browser: Browser, source: BrowserContext, width: int,
                  scheme: str) -> AsyncIterator[Page]:
    ctx = await browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                    storage_state=await source.storage_state())
    try:
        yield await ctx.new_page()
    finally:
        await ctx.close()


async def _conversation(pair: TwoMembers) -> None:
    """bob asks, alice answers in a run of her own (a reply with its quote, long text)."""
    await _say(pair.bob, "Who brings the cake on Friday?")
    await expect(pair.alice.locator(".message")).to_have_count(1)
    await pair.alice.reload()
    question = pair.alice.locator(".message").first
    await question.hover()
    await question.locator(".reply-action").click()
    await _say(pair.alice, "I will, and the candles too.")
    await _say(pair.alice, "short")
    await _say(pair.alice, LONG)
    await _say(pair.alice, "and one more")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
async def test_the_action_bar_never_covers_a_message_s_text(
        browser: Browser, live_server: LiveServer, width: int, scheme: str) -> None:
    async with two_members(browser, live_server.url, "actionbar") as pair:
        await _conversation(pair)
        async with _viewer(browser, pair.alice.context, width, scheme) as page:
            await page.goto(pair.room_url)
            messages = page.locator(".message")
            await expect(messages).to_have_count(5)
            await expect(messages.nth(2)).to_have_class(CONTINUED)
            for n in range(5):
                message = messages.nth(n)
                await message.scroll_into_view_if_needed()
                if width < 720:  # a phone: a tap on the text opens the bar
                    await message.locator(".body").click()
                else:
                    await message.hover()
                await expect(message.locator(".reply-action")).to_be_visible()

                boxes = await message.evaluate(BOXES)

                assert any(b["t"] == "Reply" for b in boxes["bar"]), boxes
                assert _overlaps(boxes) == [], (n, boxes)
                if n == 3:
                    await screenshot(page, f"hover-menu-{width}-{scheme}")


async def test_a_tap_opens_a_message_s_actions_on_a_phone_and_a_tap_elsewhere_closes_them(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "tapbar") as pair:
        await _say(pair.alice, "first")
        await _say(pair.bob, "second")
        async with _viewer(browser, pair.alice.context, 390, "light") as page:
            await page.goto(pair.room_url)
            first, second = page.locator(".message").nth(0), page.locator(".message").nth(1)

            await first.locator(".body").click()
            await expect(first.locator(".message-tools")).to_have_css("opacity", "1")
            await second.locator(".body").click()

            await expect(second.locator(".message-tools")).to_have_css("opacity", "1")
            await expect(first.locator(".message-tools")).to_have_css("opacity", "0")


@pytest.mark.parametrize("width", [1280, 390])
async def test_my_message_is_deleted_from_its_action_bar_after_confirming(
        browser: Browser, live_server: LiveServer, width: int) -> None:
    async with two_members(browser, live_server.url, "delmenu") as pair:
        await _say(pair.alice, "keep this")
        await _say(pair.alice, "delete this")
        await expect(pair.bob.locator(".message")).to_have_count(2)
        async with _viewer(browser, pair.alice.context, width, "light") as page:
            await page.goto(pair.room_url)
            doomed = page.locator(".message", has_text="delete this")
            await doomed.locator(".body").click()
            await doomed.hover()

            await doomed.get_by_role("link", name="Delete").click()
            dialog = page.get_by_role("dialog", name="Delete this message?")
            await expect(dialog).to_be_visible()
            await screenshot(page, f"delete-dialog-{width}")
            await dialog.get_by_role("button", name="Cancel").click()
            await expect(dialog).to_be_hidden()
            await expect(doomed.locator(".body")).to_have_text("delete this")

            await doomed.locator(".body").click()
            await doomed.hover()
            await doomed.get_by_role("link", name="Delete").click()
            await dialog.get_by_role("button", name="Delete message").click()

            await expect(page.locator(".message").nth(1).locator(".tombstone")) \
                .to_have_text("Message deleted.")
            await expect(pair.bob.locator(".message").nth(1).locator(".tombstone")) \
                .to_have_text("Message deleted.")
            await expect(page.locator(".message", has_text="keep this")).to_have_count(1)
            assert page.url == pair.room_url


async def test_the_inline_editor_deletes_too_after_confirming(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "deledit") as pair:
        await _say(pair.alice, "edit me away")
        message = pair.alice.locator(".message", has_text="edit me away")
        await message.hover()
        await message.get_by_role("link", name="Edit").click()
        form = message.locator("form.inline-edit")
        await expect(form.get_by_role("button", name="Save")).to_be_visible()

        await form.get_by_role("button", name="Delete").click()
        await pair.alice.get_by_role("dialog", name="Delete this message?") \
            .get_by_role("button", name="Delete message").click()

        await expect(pair.bob.locator(".message .tombstone")).to_have_text("Message deleted.")
        await expect(pair.alice.locator(".message .tombstone")).to_have_text("Message deleted.")


async def test_someone_else_s_message_offers_no_delete_and_its_deletion_is_refused(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "delrefused") as pair:
        await _say(pair.alice, "alice's own words")
        message = pair.bob.locator(".message", has_text="alice's own words")
        await expect(message).to_have_count(1)
        await message.hover()
        await expect(message.get_by_role("link", name="Reply", exact=True)).to_be_visible()

        await expect(message.locator(".manage-delete")).to_be_hidden()
        await expect(message.locator(".manage-edit")).to_be_hidden()
        status = await message.evaluate("""async (node) => {
          const link = node.querySelector(".manage-delete");
          const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
          const response = await fetch(link.href.replace(/\\/edit$/, "/deletion"), {
            method: "POST", headers: {"X-CSRF-Token": token, "HX-Request": "true"}});
          return response.status;
        }""")

        assert status == 403
        await pair.alice.reload()
        await expect(pair.alice.locator(".message .body")).to_have_text("alice's own words")


@pytest.mark.parametrize("width", [1280, 390])
async def test_without_javascript_the_edit_page_still_deletes(
        browser: Browser, live_server: LiveServer, width: int) -> None:
    async with two_members(browser, live_server.url, "delnojs") as pair:
        await _say(pair.alice, "gone without scripts")
        await _say(pair.alice, LONG)
        ctx = await browser.new_context(java_script_enabled=False,
                                        viewport={"width": width, "height": 800},
                                        storage_state=await pair.alice.context.storage_state())
        page = await ctx.new_page()
        await page.goto(pair.room_url)
        await screenshot(page, f"actions-without-javascript-{width}")
        assert _overlaps(await page.locator(".message").nth(1).evaluate(BOXES)) == []

        await page.locator(".message .manage-edit").first.click()
        await page.get_by_role("button", name="Delete message").click()

        await expect(page.locator(".message .tombstone")).to_have_text("Message deleted.")
        await ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_a_run_of_my_messages_is_one_card(
        browser: Browser, live_server: LiveServer, scheme: str) -> None:
    async with two_members(browser, live_server.url, "onecard") as pair:
        for text in ("one", "two", "three"):
            await _say(pair.alice, text)
        async with _viewer(browser, pair.alice.context, 1280, scheme) as page:
            await page.goto(pair.room_url)
            messages = page.locator(".message.mine")
            await expect(messages.nth(2)).to_have_class(CONTINUED)
            await page.mouse.move(0, 0)

            cards = await messages.evaluate_all("""(nodes) => nodes.map((n) => {
              const r = n.getBoundingClientRect(); const s = getComputedStyle(n);
              return {top: r.top, bottom: r.bottom, bg: s.backgroundColor,
                      radii: [s.borderTopLeftRadius, s.borderBottomLeftRadius]};
            })""")
            await screenshot(page, f"own-run-{scheme}")

            assert len({card["bg"] for card in cards}) == 1
            for upper, lower in zip(cards, cards[1:], strict=False):
                assert lower["top"] <= upper["bottom"] + 0.5, cards  # no gap between them
                assert upper["radii"][1] == "0px" and lower["radii"][0] == "0px", cards


async def test_a_deleted_message_keeps_its_author_s_run_together(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "tombrun") as pair:
        for text in ("one", "two", "three"):
            await _say(pair.alice, text)
        await expect(pair.bob.locator(".message")).to_have_count(3)
        middle = pair.alice.locator(".message", has_text="two")
        await middle.locator(".body").click()
        await middle.hover()
        await middle.get_by_role("link", name="Delete").click()
        await pair.alice.get_by_role("button", name="Delete message").click()
        await expect(pair.bob.locator(".message .tombstone")).to_have_count(1)

        for page in (pair.bob, pair.alice):
            messages = page.locator(".message")
            await expect(messages.nth(1)).to_have_class(CONTINUED)  # live, in the browser
            await expect(messages.nth(2)).to_have_class(CONTINUED)
            await page.reload()
            await expect(messages.nth(1)).to_have_class(CONTINUED)  # as the server renders it
            await expect(messages.nth(2)).to_have_class(CONTINUED)
            await expect(messages.nth(2).locator(".avatar")).to_be_hidden()


async def test_message_is_offered_for_nobody_already_messaged_here(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "dmlinks") as pair:
        alice_name = (await pair.alice.locator(".whoami").inner_text()).strip()
        bob_name = (await pair.bob.locator(".whoami").inner_text()).strip()
        ctx = await browser.new_context(java_script_enabled=False,
                                        storage_state=await pair.alice.context.storage_state())
        plain = await ctx.new_page()
        await plain.goto(pair.room_url)
        for page in (pair.alice, plain):
            members = page.locator(".members .member")
            await expect(members).to_have_count(2)
            await expect(members.filter(has_text=alice_name).locator(".dm-link")).to_have_count(0)
            await expect(members.filter(has_text=bob_name).locator(".dm-link")).to_have_count(1)
        await ctx.close()

        await pair.alice.goto(f"{live_server.url}/dm/{bob_name}")
        await pair.alice.get_by_role("button", name="Start the conversation").click()
        await expect(pair.alice.locator(".members .member")).to_have_count(2)

        await expect(pair.alice.locator(".members .dm-link")).to_have_count(0)
