"""Search: ranked, highlighted, filtered, only readable rooms, never private messages."""

from __future__ import annotations

import json

import pytest

from app.models import Message
from tests.helpers import Person, publish_key, sealed_form, select, select_one, start_direct


async def _search(person: Person, query: str) -> bytes:
    response = await person.get("/search" + query)
    assert response.status_code == 200
    return await response.get_data()


async def test_search_finds_messages_and_highlights_safely(alice: Person, room_id: int) -> None:
    await alice.say(room_id, "the <b>deploy</b> is done & dusted <script>alert(1)</script>")
    await alice.say(room_id, "lunch?")

    html = await _search(alice, "?q=deploy")

    hits = select(html, ".search-hit")
    assert len(hits) == 1
    excerpt = select_one(html, ".search-hit .excerpt")
    assert [m.text for m in excerpt.select("mark")] == ["deploy"]
    assert excerpt.select("b, script") == []  # the user's markup never becomes elements
    assert "& dusted" in excerpt.text


async def test_better_matches_rank_first(alice: Person, room_id: int) -> None:
    await alice.say(room_id, "release once")
    await alice.say(room_id, "release release release notes")

    html = await _search(alice, "?q=release")

    assert [h.select_one(".excerpt").text for h in select(html, ".search-hit")][0] \
        .startswith("release release")


async def test_an_outsider_finds_nothing_from_a_private_room(alice: Person, mallory: Person,
                                                             private_room: int) -> None:
    await alice.say(private_room, "launch codes are 1234")

    assert select(await _search(mallory, "?q=launch"), ".search-hit") == []
    assert select(await _search(mallory, f"?q=launch&room={private_room}"), ".search-hit") == []
    assert len(select(await _search(alice, "?q=launch"), ".search-hit")) == 1


async def test_filters_by_room_and_author(alice: Person, bob: Person, room_id: int) -> None:
    other = await alice.create_room("random")
    await alice.say(room_id, "coffee time")
    await bob.say(room_id, "coffee please")
    await alice.say(other, "coffee elsewhere")

    by_room = await _search(alice, f"?q=coffee&room={room_id}")
    by_author = await _search(alice, "?q=coffee&author=BOB")

    assert len(select(by_room, ".search-hit")) == 2
    assert [h.select_one(".excerpt").text for h in select(by_author, ".search-hit")] \
        == ["coffee please"]


@pytest.mark.parametrize("query", ["'", "&", "fo:*", "!", '"unclosed', "a & !b | (", "\\", "-"])
async def test_special_characters_never_raise(alice: Person, room_id: int, query: str) -> None:
    await alice.say(room_id, "something")

    response = await alice.get("/search", query_string={"q": query})

    assert response.status_code == 200


async def test_an_empty_query_shows_a_friendly_empty_state(alice: Person) -> None:
    html = await _search(alice, "?q=++")

    assert select_one(html, ".search-empty").text.startswith("Type a few words")
    assert "never searched" in select_one(html, ".search-page").text


async def test_deleted_messages_are_not_found(alice: Person, room_id: int) -> None:
    await alice.say(room_id, "regrettable words", client_msg_id="search-del-00001")
    message = await Message.get(client_msg_id="search-del-00001")
    await alice.post(f"/rooms/{room_id}/messages/{message.id}/deletion")

    assert select(await _search(alice, "?q=regrettable"), ".search-hit") == []


async def test_private_messages_are_never_searched(alice: Person, bob: Person,
                                                   room_id: int) -> None:
    alice_key, bob_key = await publish_key(alice), await publish_key(bob)
    direct = await start_direct(alice, "bob")
    form = sealed_form(alice_key, [alice_key, bob_key])
    response = await alice.post(f"/rooms/{direct}/messages", form)
    assert response.status_code == 303
    ciphertext = json.loads(form["envelope"])["ciphertext"]

    html = await _search(alice, "?q=" + ciphertext[:12])
    narrowed = await _search(alice, f"?q=x&room={direct}")

    assert select(html, ".search-hit") == []
    assert select(narrowed, ".search-hit") == []
    assert str(direct) not in [o["value"] for o in select(html, "select option")]
