"""Presence dots follow people: a dot turns green when someone's first tab opens and grey when
their last one closes, while others look at the member list; you are online on your own page."""

from __future__ import annotations

import re

import asyncpg
from playwright.async_api import Browser, Page, expect

from app.db import asyncpg_dsn
from tests.browser.conftest import LiveServer, two_members, wait_live
from tests.mailbox import eventually

ONLINE = re.compile(r"\bonline\b")


def dot(page: Page, name: str):  # noqa: ANN201 - a Playwright locator
    return page.locator(".members .member", has=page.locator(".member-name", has_text=name)) \
        .locator(".presence")


async def test_a_dot_changes_when_its_person_comes_and_goes(browser: Browser,
                                                            live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "presence") as pair:
        alice, bob = pair.alice, pair.bob
        alice_name = (await alice.locator(".whoami").text_content() or "").strip()
        bob_name = (await bob.locator(".whoami").text_content() or "").strip()
        db = await asyncpg.connect(asyncpg_dsn(live_server.database_url))
        try:  # bob's socket is registered (its presence row written) before alice's page reads
            await eventually(lambda: db.fetchval(
                "SELECT count(*) > 0 FROM presence p JOIN users u ON u.id = p.user_id "
                "WHERE u.username = $1", bob_name))
        finally:
            await db.close()
        await alice.goto(pair.room_url)
        await wait_live(alice)
        await expect(dot(alice, alice_name)).to_have_class(ONLINE)  # you, while you look
        await expect(dot(alice, bob_name)).to_have_class(ONLINE)

        await bob.goto("about:blank")  # bob's last tab leaves: his socket closes

        await expect(dot(alice, bob_name)).not_to_have_class(ONLINE)
        await expect(dot(alice, bob_name)).to_have_attribute("aria-label", "Offline")

        await bob.goto(pair.room_url)

        await expect(dot(alice, bob_name)).to_have_class(ONLINE)
        await expect(dot(bob, bob_name)).to_have_class(ONLINE)
