"""Who may sign up: the first account (the administrator), then holders of the join link."""

from __future__ import annotations

import pytest
from quart import Quart

from app.actions.accounts import register_user
from app.actions.instance import get_instance
from app.errors import Forbidden
from app.models import User
from config.settings import Settings, SettingsError
from tests.helpers import Person, join_path, select_one

FORM = {"email": "newcomer@example.com", "password": "correct horse battery"}


async def test_the_first_account_needs_no_link_and_becomes_the_administrator(app: Quart) -> None:
    founder = Person(app, "founder")
    page = await (await founder.get("/register")).get_data()

    response = await founder.post("/register", {"username": "founder", **FORM})

    assert select_one(page, "h1").text == "Create the administrator account"
    assert response.status_code == 303
    assert (await User.get(username_key="founder")).is_admin


async def test_later_accounts_are_not_administrators(alice: Person, bob: Person) -> None:
    assert [u.is_admin for u in await User.all().order_by("id")] == [True, False]


async def test_signing_up_without_the_link_is_refused_with_the_reason(app: Quart,
                                                                      alice: Person) -> None:
    stranger = Person(app, "stranger")
    page = await (await stranger.get("/register")).get_data()

    response = await stranger.post("/register", {"username": "stranger", **FORM})

    assert response.status_code == 403
    refusal = select_one(await response.get_data(), ".signup-refusal").text
    assert "needs this server's join link" in refusal
    assert "join link" in select_one(page, ".signup-refusal").text
    assert not await User.exists(username_key="stranger")


async def test_a_wrong_link_is_refused(app: Quart, alice: Person) -> None:
    stranger = Person(app, "stranger")

    page = await stranger.get("/join/not-the-token")
    response = await stranger.post("/join/not-the-token", {"username": "stranger", **FORM})

    assert page.status_code == 404
    assert response.status_code == 403
    assert "not valid" in select_one(await response.get_data(), ".signup-refusal").text
    assert not await User.exists(username_key="stranger")


async def test_a_regenerated_link_voids_the_old_one(app: Quart, alice: Person) -> None:
    old = await join_path()

    response = await alice.post("/admin/join-link")
    refused = await Person(app, "late").post(old, {"username": "late", **FORM})
    accepted = await Person(app, "onTime").post(await join_path(), {"username": "onTime", **FORM})

    assert response.status_code == 303
    assert old != await join_path()
    assert refused.status_code == 403
    assert accepted.status_code == 303
    assert await User.filter(username_key__in=["late", "ontime"]).count() == 1


async def test_the_admin_page_shows_the_current_link_to_copy(alice: Person) -> None:
    page = await (await alice.get("/admin")).get_data()

    url = select_one(page, "input#join-url")["value"]

    assert url.endswith(await join_path())
    assert select_one(page, "button[data-copy='#join-url']")


async def test_the_administrator_may_open_sign_up_to_anyone(app: Quart, alice: Person) -> None:
    await alice.post("/admin/instance", {"name": "Parley", "signup_policy": "open"})

    response = await Person(app, "walkin").post("/register", {"username": "walkin", **FORM})

    assert response.status_code == 303


async def test_a_closed_instance_refuses_even_the_link(app: Quart, alice: Person) -> None:
    await alice.post("/admin/instance", {"name": "Parley", "signup_policy": "closed"})

    response = await Person(app, "late").post(await join_path(), {"username": "late", **FORM})

    assert response.status_code == 403
    assert "closed" in select_one(await response.get_data(), ".signup-refusal").text


async def test_signups_open_in_the_environment_overrides_the_link(app: Quart,
                                                                  alice: Person) -> None:
    user = await register_user("demo", "demo@example.com", "correct horse battery",
                               join_token=None, signups="open")

    with pytest.raises(Forbidden):
        await register_user("other", "o@example.com", "correct horse battery", None, None)
    assert not user.is_admin


def test_signups_is_read_from_the_environment_and_checked() -> None:
    assert Settings.from_env({"SECRET_KEY": "k"}).signups is None
    assert Settings.from_env({"SECRET_KEY": "k", "SIGNUPS": "open"}).signups == "open"
    with pytest.raises(SettingsError, match="SIGNUPS='everyone': expected one of"):
        Settings.from_env({"SECRET_KEY": "k", "SIGNUPS": "everyone"})


async def test_the_join_token_is_long_and_random(app: Quart) -> None:
    assert len((await get_instance()).join_token) >= 32
