"""The invite field's people search (/users/search): active people only, bots apart,
and throttled per person."""

from __future__ import annotations

from quart import Quart

from app.actions.webhooks import create_webhook
from app.models import Room, User
from app.queries.users import LOOKUPS_PER_MINUTE
from tests.helpers import Person, select


async def suggested(person: Person, prefix: str) -> list[str]:
    response = await person.get(f"/users/search?q={prefix}")
    assert response.status_code == 200
    return [option["value"] for option in select(await response.get_data(), "option")]


async def test_a_deactivated_account_is_not_suggested(alice: Person, bob: Person) -> None:
    assert await suggested(alice, "b") == ["bob"]

    response = await alice.post(f"/admin/users/{bob.user_id}/deactivation")
    assert response.status_code == 303

    assert await suggested(alice, "b") == []


async def test_a_webhooks_bot_is_not_suggested_however_it_is_searched(
        alice: Person, bob: Person, room_id: int) -> None:
    await create_webhook(await Room.get(id=room_id), await User.get(id=alice.user_id), "builder")
    bot = await User.get(is_bot=True)

    for prefix in ("bu", "~", bot.username_key[:4].replace("~", "%7E")):
        assert await suggested(bob, prefix) == []


async def test_looking_people_up_very_fast_is_slowed_with_a_clear_429(
        app: Quart, alice: Person, bob: Person) -> None:
    limiter = app.extensions["people_search_limiter"]
    for _ in range(LOOKUPS_PER_MINUTE):
        assert limiter.allow(alice.user_id)

    refused = await alice.get("/users/search?q=b")
    others = await bob.get("/users/search?q=a")

    assert refused.status_code == 429
    assert "You are looking people up very fast. Wait a minute" in \
        await refused.get_data(as_text=True)
    assert others.status_code == 200
    assert [o["value"] for o in select(await others.get_data(), "option")] == ["alice"]
