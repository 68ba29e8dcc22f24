"""@mentions: a keyboard- and screen-reader-friendly picker, a highlight and a sidebar badge."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, two_members, wait_live


async def test_at_offers_members_and_the_keyboard_picks_one(browser: Browser,
                                                            live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "picker") as pair:
        alice = pair.alice
        await alice.reload()
        bob_name = (await pair.bob.locator(".whoami").text_content() or "").strip()
        body = alice.locator("#body")

        await body.press_sequentially("thanks @" + bob_name[:2])

        listbox = alice.get_by_role("listbox", name="People to mention")
        await expect(listbox).to_be_visible()
        await expect(body).to_have_attribute("aria-expanded", "true")
        # The room's members first, then anyone else on the server whose name starts so.
        await expect(listbox.get_by_role("option").first).to_have_text(f"@{bob_name}")
        active = await body.get_attribute("aria-activedescendant")
        await expect(alice.locator(f"#{active}")).to_have_attribute("aria-selected", "true")
        await body.press("Tab")
        await expect(body).to_have_value(f"thanks @{bob_name} ")
        await expect(listbox).to_be_hidden()
        await expect(body).to_have_attribute("aria-expanded", "false")
        await expect(alice.locator(".message")).to_have_count(0)  # Tab picked; nothing was sent

        await body.press_sequentially("and @" + bob_name[:3])
        await body.press("Escape")
        await expect(listbox).to_be_hidden()
        await body.press("Enter")
        await expect(alice.locator(".message")).to_have_count(1)


async def test_a_mention_is_highlighted_for_me_and_badged_in_my_sidebar(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "badge") as pair:
        alice, bob = pair.alice, pair.bob
        bob_name = (await bob.locator(".whoami").text_content() or "").strip()
        await bob.goto(f"{live_server.url}/rooms")
        await wait_live(bob)
        badge = bob.locator(".sidebar a", has_text=pair.room_name).locator(".unread")

        await alice.fill("#body", "no mention here")
        await alice.keyboard.press("Enter")
        await expect(badge).to_have_class("unread quiet")  # mentions only (the default): no count
        await expect(badge.locator(".count")).to_have_count(0)
        await alice.fill("#body", f"@{bob_name} have a look")
        await alice.keyboard.press("Enter")

        await expect(badge).to_have_class("unread mentioned")  # live
        await expect(badge).to_contain_text("you were mentioned")
        await bob.reload()
        await expect(badge).to_have_class("unread mentioned")  # and from the server
        await bob.locator(".sidebar a", has_text=pair.room_name).click()
        mention = bob.locator(".message .mention")
        await expect(mention).to_have_class("mention mine")
        await expect(alice.locator(".message .mention")).to_have_class("mention")  # not alice's
        await expect(badge).to_have_text("")
        await expect(badge).not_to_have_class("unread mentioned")
