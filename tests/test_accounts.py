"""Sign-up, log-in, log-out and their refusals."""

from __future__ import annotations

import asyncio

import pytest
from quart import Quart

from app.models import Session, User
from app.security import LOGIN_SLOTS
from tests.helpers import Person, join_path, select, select_one


async def test_signing_up_logs_the_user_in(app: Quart) -> None:
    carol = Person(app, "Carol")

    response = await carol.sign_up()

    assert response.headers["Location"] == "/rooms"
    page = await (await carol.get("/rooms")).get_data()
    assert select_one(page, ".whoami").text == "Carol"
    user = await User.get(username_key="carol")
    assert user.password_hash.startswith("$argon2id$")


async def test_usernames_are_unique_case_insensitively(app: Quart, alice: Person) -> None:
    impostor = Person(app, "ALICE")

    response = await impostor.post(await join_path(), {"username": "ALICE",
                                                       "email": "a@b.example",
                                                       "password": "long enough pw"})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#username-error").text == "That username is taken."
    assert await User.all().count() == 1


async def test_sign_up_explains_each_bad_field_and_keeps_the_input(app: Quart) -> None:
    person = Person(app, "x")

    response = await person.post("/register", {"username": "a b<script>", "email": "nope",
                                               "password": "short"})

    page = await response.get_data()
    assert response.status_code == 400
    assert "letters, digits" in select_one(page, "#username-error").text
    assert "e-mail address" in select_one(page, "#email-error").text
    assert "at least 8" in select_one(page, "#password-error").text
    assert select_one(page, "input[name=username]")["value"] == "a b<script>"
    assert await User.all().count() == 0
    # still the instance's first account: the heading keeps saying what it makes
    assert select_one(page, "h1").text == "Create the administrator account"


async def test_login_with_the_right_password_and_a_safe_next(app: Quart, alice: Person) -> None:
    browser = Person(app, "alice")

    response = await browser.post("/login", {"username": "Alice",
                                             "password": "correct horse battery",
                                             "next": "/rooms?x=1"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/rooms?x=1"
    assert (await browser.get("/rooms")).status_code == 200


async def test_login_refuses_an_offsite_next(app: Quart, alice: Person) -> None:
    browser = Person(app, "alice")

    response = await browser.post("/login", {"username": "alice",
                                             "password": "correct horse battery",
                                             "next": "//evil.example/phish"})

    assert response.headers["Location"] == "/rooms"


async def test_wrong_password_and_unknown_user_get_the_same_answer(app: Quart, alice: Person) -> None:
    browser = Person(app, "alice")

    wrong = await browser.post("/login", {"username": "alice", "password": "nope nope nope"})
    unknown = await browser.post("/login", {"username": "zed", "password": "nope nope nope"})

    assert wrong.status_code == unknown.status_code == 400
    assert select_one(await wrong.get_data(), ".form-error").text == \
        select_one(await unknown.get_data(), ".form-error").text
    assert (await browser.get("/rooms")).status_code == 302


async def test_login_is_throttled_per_account(app: Quart, alice: Person) -> None:
    browser = Person(app, "alice")
    for _ in range(10):
        await browser.post("/login", {"username": "alice", "password": "wrong password"})

    response = await browser.post("/login", {"username": "alice",
                                             "password": "correct horse battery"})

    assert response.status_code == 429
    assert "Too many attempts" in select_one(await response.get_data(), ".form-error").text


async def test_a_log_in_beyond_the_slots_waits_its_turn_before_its_first_query(
        app: Quart, alice: Person) -> None:
    slots = app.extensions["login_slots"]
    browser = Person(app, "alice")
    form = {"csrf_token": await browser.csrf(), "username": "alice",
            "password": "correct horse battery"}
    sessions_before = await Session.all().count()
    for _ in range(LOGIN_SLOTS):  # every slot taken, as by log-ins being checked
        await slots.acquire()
    try:
        login = asyncio.create_task(browser.client.post("/login", form=form))
        for _ in range(100_000):  # until the request reaches the gate (each turn lets it run)
            if slots.waiting or login.done():
                break
            await asyncio.sleep(0)
        assert slots.waiting and not login.done()
        assert await Session.all().count() == sessions_before
    finally:
        for _ in range(LOGIN_SLOTS):
            slots.release()

    assert (await login).status_code == 303
    assert await Session.all().count() == sessions_before + 1
    assert not slots.locked()


async def test_logout_revokes_the_session_everywhere(app: Quart, alice: Person) -> None:
    stolen_cookies = [c for c in alice.client.cookie_jar]
    assert await Session.all().count() == 1

    response = await alice.post("/logout")

    assert response.status_code == 303
    assert await Session.all().count() == 0
    thief = Person(app, "thief")
    for cookie in stolen_cookies:
        thief.client.cookie_jar.set_cookie(cookie)
    assert (await thief.get("/rooms")).status_code == 302


async def test_pages_need_login(app: Quart) -> None:
    response = await app.test_client().get("/rooms/1")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/rooms/1")


async def test_login_page_has_labelled_fields(app: Quart) -> None:
    page = await (await app.test_client().get("/login")).get_data()

    for field in ("username", "password"):
        assert select(page, f"label[for={field}]") and select(page, f"input#{field}")


@pytest.mark.parametrize("target", ["/%09/evil.example/", "/\t/evil.example/", "/\r\n/evil",
                                    "/rooms\r\nSet-Cookie: x=1", "//evil.example", "/\\evil",
                                    "https://evil.example/", "/rooms\x7f"])
async def test_login_sends_a_hostile_next_to_the_rooms_page(app: Quart, alice: Person,
                                                           target: str) -> None:
    browser = Person(app, "alice")
    next_value = target.replace("%09", "\t")  # what the login page's hidden field carries

    response = await browser.post("/login", {"username": "alice",
                                             "password": "correct horse battery",
                                             "next": next_value})

    assert response.status_code == 303
    assert response.headers["Location"] == "/rooms"


async def test_a_strangers_wrong_guesses_do_not_lock_the_real_user_out(app: Quart,
                                                                       alice: Person) -> None:
    stranger, owner = Person(app, "mallory"), Person(app, "alice")
    far_away = {"scope_base": {"client": ("203.0.113.9", 40000)}}
    for _ in range(10):
        await stranger.post("/login", {"username": "alice", "password": "wrong guess"}, **far_away)

    stranger_again = await stranger.post("/login", {"username": "alice",
                                                     "password": "correct horse battery"},
                                          **far_away)
    real_user = await owner.post("/login", {"username": "alice",
                                            "password": "correct horse battery"})

    assert stranger_again.status_code == 429
    assert real_user.status_code == 303


async def test_the_csrf_token_changes_at_login(app: Quart, alice: Person) -> None:
    browser = Person(app, "alice")
    planted = await browser.csrf()

    await browser.post("/login", {"username": "alice", "password": "correct horse battery"})
    with_planted = await browser.client.post("/rooms", form={"name": "x", "csrf_token": planted})

    assert await browser.csrf() != planted
    assert with_planted.status_code == 403


async def test_a_very_long_username_at_login_is_a_plain_wrong_answer(app: Quart) -> None:
    response = await Person(app, "x").post("/login", {"username": "a" * 200, "password": "x" * 9})

    assert response.status_code == 400
    assert select_one(await response.get_data(), ".form-error").text == \
        "That username and password do not match."


async def test_a_next_that_is_a_fragment_or_feed_leads_to_its_rooms_page(
        app: Quart, alice: Person) -> None:
    targets = {
        "/rooms/1/messages?after=31&changes=6": "/rooms/1",  # the catch-up fragment
        "/rooms/1/export.json": "/rooms/1",
        "/rooms/1/messages/5/edit": "/rooms/1/messages/5/edit",  # a page of its own
        "/users/search?q=b": "/rooms",  # a fragment that belongs to no room
        "/ws": "/rooms",
        "/no/such/page": "/rooms",
        "/search?q=plan": "/search?q=plan",
        "/profile#password": "/profile#password",
    }
    landed = {}
    for target, _ in targets.items():
        browser = Person(app, "alice")
        response = await browser.post("/login", {"username": "alice",
                                                 "password": "correct horse battery",
                                                 "next": target})
        landed[target] = response.headers["Location"]

    assert landed == targets


async def test_an_htmx_request_after_the_session_ended_sends_the_tab_back_to_its_page(
        app: Quart, alice: Person) -> None:
    response = await Person(app, "visitor").get(
        "/rooms/1/messages?after=31&changes=6",
        headers={"HX-Request": "true", "HX-Current-URL": "http://parley.test/rooms/1?x=1"})

    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/rooms/1?x%3D1"
