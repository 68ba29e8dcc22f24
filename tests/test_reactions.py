"""Reactions: any emoji of the set, toggled per person, shown with who reacted, pushed live."""

from __future__ import annotations

import pytest

from app.models import Message, Reaction
from tests.helpers import Person, select, select_one
from tests.live import frame_matching, registered, socket


async def _message(person: Person, room_id: int) -> Message:
    await person.say(room_id, "react to me", client_msg_id="react-0000000001")
    return await Message.get(client_msg_id="react-0000000001")


async def test_a_member_reacts_and_the_count_and_names_show(alice: Person, bob: Person,
                                                            room_id: int) -> None:
    message = await _message(alice, room_id)
    path = f"/rooms/{room_id}/messages/{message.id}/reactions"

    await alice.post(path, {"emoji": "🎉"})
    response = await bob.post(path, {"emoji": "🎉"}, htmx=True)

    button = select_one(await response.get_data(), ".reaction[value='🎉']")
    assert button.select_one(".count").text == "2"
    assert button["title"] == "Party: alice, bob"
    assert button["data-reactor-ids"] == f"{alice.user_id} {bob.user_id}"


async def test_reacting_again_takes_the_reaction_back(alice: Person, room_id: int) -> None:
    message = await _message(alice, room_id)
    path = f"/rooms/{room_id}/messages/{message.id}/reactions"

    await alice.post(path, {"emoji": "👍"})
    response = await alice.post(path, {"emoji": "👍"}, htmx=True)

    assert select(await response.get_data(), ".reaction") == []
    assert await Reaction.all().count() == 0


async def test_any_emoji_from_the_picker_is_a_reaction(alice: Person, room_id: int) -> None:
    message = await _message(alice, room_id)

    response = await alice.post(f"/rooms/{room_id}/messages/{message.id}/reactions",
                                {"emoji": "🦄"}, htmx=True)

    button = select_one(await response.get_data(), ".reaction[value='🦄']")
    assert button["title"] == "Unicorn: alice"


@pytest.mark.parametrize("value", ["<script>", "👍👍", "a", "", "\U0001F3FB", "☺"],
                         ids=["markup", "two emoji", "letter", "empty", "skin tone alone",
                              "unqualified"])
async def test_anything_but_one_emoji_of_the_set_is_refused(alice: Person, room_id: int,
                                                           value: str) -> None:
    message = await _message(alice, room_id)

    response = await alice.post(f"/rooms/{room_id}/messages/{message.id}/reactions",
                                {"emoji": value})

    assert response.status_code == 400
    assert await Reaction.all().count() == 0


async def test_a_non_member_cannot_react(alice: Person, mallory: Person, room_id: int) -> None:
    message = await _message(alice, room_id)

    response = await mallory.post(f"/rooms/{room_id}/messages/{message.id}/reactions",
                                  {"emoji": "👍"})

    assert response.status_code == 403


async def test_a_reaction_is_pushed_live_and_carried_by_catch_up(alice: Person, bob: Person,
                                                                 room_id: int) -> None:
    message = await _message(alice, room_id)
    async with socket(alice, room_id) as ws:
        await registered(alice)

        await bob.post(f"/rooms/{room_id}/messages/{message.id}/reactions", {"emoji": "❤️"})

        frame = await frame_matching(ws, "#message-react-0000000001 .reaction")
    assert select_one(frame, ".reaction .count").text == "1"
    caught_up = await alice.get(f"/rooms/{room_id}/messages?after=1&changes=0")
    assert select_one(await caught_up.get_data(), "#message-react-0000000001 .reaction")["title"] \
        == "Heart: bob"


async def test_the_page_offers_every_reaction_with_a_label(alice: Person, room_id: int) -> None:
    await _message(alice, room_id)

    page = await (await alice.get(f"/rooms/{room_id}")).get_data()

    labels = [b["aria-label"] for b in select(page, ".reaction-picker button")]
    assert labels == ["React with thumbs up", "React with heart", "React with laughing",
                      "React with party", "React with surprised", "React with sad"]
    assert select(page, ".reaction-picker form input[name=csrf_token]")
