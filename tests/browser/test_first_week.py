"""A team's first week in Chromium: invitations reach people wherever they are, newcomers land
in the team's rooms and can write to anyone, a log-in after a deactivation lands on a page,
and a password can be changed. At 1280 and 390 px, light and dark where it shows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import (
    PASSWORD,
    LiveServer,
    create_room,
    open_room_details,
    sign_up,
    unique,
)
from tests.browser.test_accessibility import _violations
from tests.browser.test_private_rooms import _create_private_room
from tests.database import create_database, drop_database, migrate_in_child
from tests.mailbox import SmtpServer, eventually
from tests.server import running_server

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Counts the live frames that found no place on the page (the bug: #invitations was missing).
COUNT_OOB_MISSES = """document.addEventListener("htmx:oobErrorNoTarget", () => {
  window.oobMisses = (window.oobMisses || 0) + 1; });"""


@dataclass
class Team:
    """A Parley of its own whose administrator (`founder`) signed up first; mail goes to `smtp`."""

    base: str
    smtp: SmtpServer
    founder: str


@pytest.fixture(scope="module")
def team_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="module")
async def team_database(database_server: str) -> AsyncIterator[str]:
    url = await create_database(database_server)
    await migrate_in_child(url)
    yield url
    await drop_database(database_server, url)


@pytest_asyncio.fixture(scope="module")
async def team(browser: Browser, team_database: str, team_smtp: SmtpServer,
               tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Team]:
    env = {"DATABASE_URL": team_database, "VAR_DIR": str(tmp_path_factory.mktemp("team")),
           "SMTP_URL": f"smtp://127.0.0.1:{team_smtp.port}", "MAIL_POLL_SECONDS": "0.1"}
    with running_server(env) as (base, _proc):
        ctx = await browser.new_context()
        founder = unique("founder")
        await sign_up(await ctx.new_page(), base, founder)  # the first account: administrator
        await ctx.close()
        yield Team(base, team_smtp, founder)


async def _context(browser: Browser, size: str, scheme: str = "light", **kw: object
                   ) -> BrowserContext:
    # axe is injected as a script, which the page's CSP (script-src 'self') would refuse.
    ctx = await browser.new_context(viewport=SIZES[size], color_scheme=scheme,  # type: ignore[arg-type]
                                    bypass_csp=True, **kw)  # type: ignore[arg-type]
    await ctx.add_init_script(COUNT_OOB_MISSES)
    return ctx


async def _log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("main form button[type=submit]")


async def _open_sidebar(page: Page, size: str) -> None:
    """On a phone the sidebar folds behind its button: open it (a no-op on a desktop)."""
    toggle = page.locator("#sidebar-toggle")
    if size == "phone" and await toggle.get_attribute("aria-expanded") != "true":
        await toggle.click()
    await expect(page.locator("#sidebar")).to_be_visible()


async def _settled(page: Page) -> None:
    """Fonts loaded and two frames painted: the page as a person sees it, no guessed delay."""
    await page.evaluate("() => document.fonts.ready.then(() => new Promise("
                        "r => requestAnimationFrame(() => requestAnimationFrame(r))))")


# 1. An invitation shows wherever bob is: live, after a reload, without JavaScript.

@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_an_invitation_shows_live_and_after_a_reload_wherever_bob_is(
        browser: Browser, live_server: LiveServer, size: str, scheme: str) -> None:
    base = live_server.url
    alice_ctx, bob_ctx = [await _context(browser, size, scheme) for _ in range(2)]
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    names = {"alice": unique("alice"), "bob": unique("bob")}
    room_name = unique("leads")
    try:
        await sign_up(alice, base, names["alice"])
        await sign_up(bob, base, names["bob"])
        somewhere = await create_room(bob, base, unique("standup"))  # bob sits in a room
        await bob.wait_for_selector("html[data-live=open]", state="attached")
        room_url = await _create_private_room(alice, base, room_name)
        await open_room_details(alice)
        await alice.fill("#invite-username", names["bob"])
        await alice.get_by_role("button", name="Invite").click()
        await expect(alice.locator(".pending-invitation .invitee")).to_have_text([names["bob"]])

        invitation = bob.locator("#invitations .invitation", has_text=room_name)
        await expect(bob).to_have_title(re.compile(r"^\(1\) "))  # live: no reload
        if size == "phone":  # the folded sidebar's button says so
            await expect(bob.locator("#sidebar-toggle .toggle-badge")).to_have_text("1")
            await expect(bob.locator("#sidebar-toggle")).to_have_accessible_name(
                re.compile(r"^Rooms\W*1 invitation$"))
        await _open_sidebar(bob, size)
        await expect(invitation).to_be_visible()
        await expect(invitation.locator(".inviter")).to_have_text(names["alice"])
        assert await bob.evaluate("window.oobMisses || 0") == 0
        await _settled(bob)
        DOCS.mkdir(parents=True, exist_ok=True)
        await bob.screenshot(path=str(DOCS / f"invitation-sidebar-{size}-{scheme}.png"))

        await bob.reload()  # and after a reload
        await _open_sidebar(bob, size)
        await expect(invitation).to_be_visible()
        await expect(bob).to_have_title(re.compile(r"^\(1\) "))
        assert await _violations(bob, bob.url) == []

        await _open_sidebar(bob, size)
        await invitation.get_by_role("button", name="Accept").click()
        await expect(bob.locator("#invitation-outcome")).to_contain_text(
            f"You joined “{room_name}”.")
        assert bob.url == somewhere  # answered in place
        room_id = urlsplit(room_url).path.rsplit("/", 1)[-1]
        await expect(bob.locator(f"#sidebar-rooms a[data-room-id='{room_id}']")) \
            .to_contain_text(room_name)
        await expect(bob.locator("#invitations")).to_be_hidden()
        await expect(bob).not_to_have_title(re.compile(r"^\(\d+\) "))
    finally:
        await alice_ctx.close()
        await bob_ctx.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_without_javascript_an_invitation_is_answered_from_any_page(
        browser: Browser, live_server: LiveServer, size: str) -> None:
    base = live_server.url
    alice_ctx = await _context(browser, size)
    bob_ctx = await browser.new_context(viewport=SIZES[size], java_script_enabled=False)  # type: ignore[arg-type]
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    names = {"alice": unique("alice"), "bob": unique("bob")}
    kept, declined = unique("kept"), unique("declined")
    try:
        await sign_up(alice, base, names["alice"])
        await sign_up(bob, base, names["bob"])
        urls = {}
        for room in (kept, declined):
            urls[room] = await _create_private_room(alice, base, room)
            await open_room_details(alice)
            await alice.fill("#invite-username", names["bob"])
            await alice.get_by_role("button", name="Invite").click()
            await expect(alice.locator(".pending-invitation .invitee")).to_have_text([names["bob"]])

        await bob.goto(f"{base}/profile")
        await expect(bob.locator("#invitations .invitation")).to_have_count(2)
        await expect(bob).to_have_title(re.compile(r"^\(2\) "))  # counted without JavaScript
        await bob.get_by_role("button", name=f"Decline the invitation to {declined}").click()
        await expect(bob.locator(".flashes")).to_contain_text(f"You declined the invitation to “{declined}”.")
        await bob.get_by_role("button", name=f"Accept the invitation to {kept}").click()

        await bob.wait_for_url(urls[kept])
        await expect(bob.locator(".flashes")).to_contain_text(f"You joined “{kept}”.")
        await expect(bob.locator("#invitations")).to_be_hidden()
        assert (await bob.goto(urls[declined])).status == 404  # type: ignore[union-attr]
    finally:
        await alice_ctx.close()
        await bob_ctx.close()


# 2. Newcomers join the team's rooms and may write to anyone active.

@pytest.mark.parametrize(("size", "scheme"), [("desktop", "light"), ("phone", "dark")])
async def test_a_newcomer_lands_in_the_teams_rooms_and_can_write_to_anyone(
        browser: Browser, team: Team, size: str, scheme: str) -> None:
    admin_ctx, leaver_ctx, newcomer_ctx = [await _context(browser, size, scheme)
                                           for _ in range(3)]
    admin, leaver, newcomer = [await ctx.new_page() for ctx in (admin_ctx, leaver_ctx,
                                                                  newcomer_ctx)]
    announcements, leaver_name, newcomer_name = unique("news"), unique("leaver"), unique("new")
    try:
        await admin.goto(f"{team.base}/login")
        await _log_in(admin, team.founder)
        await admin.wait_for_url(f"{team.base}/rooms")
        await create_room(admin, team.base, announcements)
        await admin.goto(f"{team.base}/admin")
        row = admin.locator(".rooms-list .room", has_text=announcements)
        await row.get_by_role("button", name="Add everyone").click()
        await expect(admin.locator(".flashes")).to_contain_text(f"Everyone is in {announcements}")
        await expect(row.locator(".everyone-badge")).to_have_text("everyone joins")
        await sign_up(leaver, team.base, leaver_name)
        await admin.goto(f"{team.base}/admin")
        await admin.locator(".people-list .person", has_text=leaver_name) \
            .get_by_role("button", name="Deactivate").click()
        await expect(admin.locator(".flashes")).to_contain_text(f"{leaver_name} is deactivated")

        await sign_up(newcomer, team.base, newcomer_name)  # lands on /rooms
        await _open_sidebar(newcomer, size)
        rooms = newcomer.locator("#sidebar-rooms .room-name")
        await expect(rooms).to_contain_text(["General", announcements])
        await expect(newcomer.locator("#sidebar")).not_to_contain_text("You have not joined")
        await _settled(newcomer)
        DOCS.mkdir(parents=True, exist_ok=True)
        await newcomer.screenshot(path=str(DOCS / f"newcomer-first-view-{size}-{scheme}.png"))

        await newcomer.goto(f"{team.base}/dm")
        people = newcomer.locator(".people-picker label.choice")
        await expect(people.filter(has_text=team.founder)).to_have_count(1)
        await expect(people.filter(has_text=leaver_name)).to_have_count(0)
        await expect(people.filter(has_text=newcomer_name)).to_have_count(0)
        assert await _violations(newcomer, newcomer.url) == []

        # @-autocomplete offers the administrator in a room only the newcomer is in.
        await create_room(newcomer, team.base, unique("solo"))
        await newcomer.locator("#body").press_sequentially("hi @" + team.founder[:5], delay=20)
        await expect(newcomer.locator("#mention-options [role=option]")).to_have_text(
            ["@" + team.founder])
        await newcomer.keyboard.press("Enter")
        await expect(newcomer.locator("#body")).to_have_value(f"hi @{team.founder} ")
        await newcomer.locator("#body").fill("")
        await newcomer.locator("#body").press_sequentially("hi @" + leaver_name, delay=20)
        await expect(newcomer.locator("#mention-options")).to_be_hidden()  # deactivated

        await newcomer.goto(f"{team.base}/dm")
        await newcomer.get_by_label(team.founder).check()
        await newcomer.get_by_role("button", name="Start conversation").click()
        await newcomer.wait_for_url(re.compile(r".*/rooms/\d+$"))  # no "share a room" refusal
    finally:
        for ctx in (admin_ctx, leaver_ctx, newcomer_ctx):
            await ctx.close()


# 10. Logging in again after a deactivation lands on a page, not on a fragment.

@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_logging_in_again_after_a_deactivation_lands_on_the_room_page(
        browser: Browser, team: Team, size: str) -> None:
    admin_ctx, member_ctx = await _context(browser, size), await _context(browser, size)
    admin, member = await admin_ctx.new_page(), await member_ctx.new_page()
    name = unique("member")
    try:
        await sign_up(member, team.base, name)
        room_url = await create_room(member, team.base, unique("desk"))
        await member.wait_for_selector("html[data-live=open]", state="attached")
        await admin.goto(f"{team.base}/login")
        await _log_in(admin, team.founder)
        await admin.wait_for_url(f"{team.base}/rooms")
        await admin.goto(f"{team.base}/admin")
        person = admin.locator(".people-list .person", has_text=name)
        await person.get_by_role("button", name="Deactivate").click()
        await expect(admin.locator(".flashes")).to_contain_text(f"{name} is deactivated")

        # The socket closes; the tab's next catch-up request is refused and sends it to log in.
        await member.wait_for_url(re.compile(r".*/login\?next="))
        assert parse_qs(urlsplit(member.url).query)["next"] == [urlsplit(room_url).path]
        await admin.locator(".people-list .person", has_text=name) \
            .get_by_role("button", name="Reactivate").click()
        await expect(admin.locator(".flashes")).to_contain_text(f"{name} can log in again")
        await _log_in(member, name)

        await member.wait_for_url(room_url)
        await expect(member.locator("#composer")).to_be_visible()
        await expect(member.locator("#sidebar")).to_be_attached()  # a whole page, not a fragment
    finally:
        await admin_ctx.close()
        await member_ctx.close()


# 11. A password change on the profile.

@pytest.mark.parametrize(("size", "scheme"), [("desktop", "dark"), ("phone", "light")])
async def test_changing_the_password_logs_out_the_other_browser_and_emails_a_notice(
        browser: Browser, team: Team, size: str, scheme: str) -> None:
    here_ctx, there_ctx = await _context(browser, size, scheme), await _context(browser, size)
    here, there = await here_ctx.new_page(), await there_ctx.new_page()
    name, new_password = unique("keen"), "a brand new secret"
    try:
        await sign_up(here, team.base, name)
        await there.goto(f"{team.base}/login")
        await _log_in(there, name)
        await there.wait_for_url(f"{team.base}/rooms")
        await here.goto(f"{team.base}/profile")

        await here.fill("#current-password", "not my password")
        await here.fill("#new-password", new_password)
        await here.fill("#confirm-password", new_password)
        await here.get_by_role("button", name="Change password").click()
        await expect(here.locator("#current_password-error")).to_contain_text(
            "not your current password")
        assert await _violations(here, here.url) == []  # the form as it is, errors and all
        await here.goto(f"{team.base}/profile")
        await here.fill("#current-password", PASSWORD)
        await here.fill("#new-password", new_password)
        await here.fill("#confirm-password", new_password)
        await here.get_by_role("button", name="Change password").click()

        await expect(here.locator(".flashes")).to_contain_text("Your password is changed")
        await there.goto(f"{team.base}/rooms")
        await there.wait_for_url(re.compile(r".*/login"))  # the other browser is logged out
        await here.goto(f"{team.base}/rooms")
        assert here.url == f"{team.base}/rooms"  # this one is not
        await _log_in(there, name, new_password)
        await there.wait_for_url(f"{team.base}/rooms")
        await eventually(lambda: team.smtp.inbox.to(f"{name}@example.com") != [])
        subjects = [m.message["Subject"] for m in team.smtp.inbox.to(f"{name}@example.com")]
        assert "Your Parley password was changed" in subjects
    finally:
        await here_ctx.close()
        await there_ctx.close()
