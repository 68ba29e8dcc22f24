"""Search: ranked, highlighted, filtered, only readable rooms, never private messages."""

from __future__ import annotations

import json

import asyncpg
import pytest
from quart import Quart

from app.db import asyncpg_dsn
from app.models import Message
from app.queries import search
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


async def test_a_word_finds_messages_where_it_begins_a_longer_word(alice: Person,
                                                                   room_id: int) -> None:
    await alice.say(room_id, "welcome aboard everyone")
    await alice.say(room_id, "unrelated")

    html = await _search(alice, "?q=welcom+aboar")

    assert [h.select_one(".excerpt").text for h in select(html, ".search-hit")] == \
        ["welcome aboard everyone"]


async def test_a_search_of_only_words_to_leave_out_is_refused_saying_why(alice: Person,
                                                                         room_id: int) -> None:
    await alice.say(room_id, "draft notes")

    response = await alice.get("/search", query_string={"q": "-draft -notes"})

    assert response.status_code == 400
    assert select_one(await response.get_data(), ".search-error").text == search.NEGATION_ONLY


async def test_only_the_first_matches_are_ranked(alice: Person, room_id: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "CANDIDATES_MAX", 3)
    for n in range(5):
        await alice.say(room_id, f"standup {n}")

    html = await _search(alice, "?q=standup")

    assert len(select(html, ".search-hit")) == 3


async def test_a_search_past_its_statement_timeout_stops_and_says_so(
        alice: Person, room_id: int, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    await alice.say(room_id, "blocked")
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:  # a thousand long matches to rank: far more work than a 1 ms budget allows
        await conn.execute(
            "INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, created_at, "
            "change_seq) SELECT room_id, author_id, seq + n, 'bulk-' || n, "
            "repeat('blocked words to rank ', 400), now(), 0 "
            "FROM messages, generate_series(1, 1500) AS n")
    finally:
        await conn.close()
    monkeypatch.setattr(search, "STATEMENT_TIMEOUT_MS", 1)

    response = await alice.get("/search?q=blocked")

    assert response.status_code == 503
    assert select_one(await response.get_data(), ".search-error").text == search.TOO_SLOW


async def test_one_person_searching_very_fast_is_slowed_with_a_clear_429(
        app: Quart, alice: Person, bob: Person, room_id: int) -> None:
    limiter = app.extensions["search_limiter"]
    for _ in range(search.SEARCHES_PER_MINUTE):
        assert limiter.allow(alice.user_id)

    refused = await alice.get("/search?q=hello")
    others = await bob.get("/search?q=hello")

    assert refused.status_code == 429
    assert select_one(await refused.get_data(), ".search-error").text == \
        "You are searching very fast. Wait a minute, then try again."
    assert others.status_code == 200


async def test_searches_cannot_take_every_database_connection(
        app: Quart, alice: Person, room_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SLOT_WAIT_SECONDS", 0.05)
    slots = app.extensions["search_slots"]
    held = 0
    while not slots.locked():  # as if every search slot were running a long search
        await slots.acquire()
        held += 1
    try:
        busy = await alice.get("/search?q=hello")
        page = await alice.get(f"/rooms/{room_id}")
    finally:
        for _ in range(held):
            slots.release()

    assert 1 <= held < 10  # below DB_POOL_MAX: pages always have connections left
    assert busy.status_code == 503
    assert select_one(await busy.get_data(), ".search-error").text == search.BUSY
    assert page.status_code == 200


async def test_a_hit_reads_as_people_saw_the_message_emoji_and_punctuation_kept(
        alice: Person, room_id: int) -> None:
    await alice.say(room_id, ":tada: **deploy**? :+1:")

    excerpt = select_one(await _search(alice, "?q=deploy"), ".search-hit .excerpt")

    assert excerpt.text == "🎉 deploy? 👍"
    assert [m.text for m in excerpt.select("mark")] == ["deploy"]


async def test_a_long_message_is_cut_around_its_first_match(alice: Person, room_id: int) -> None:
    await alice.say(room_id, "filler " * 80 + "the needle is here " + "tail " * 80)

    excerpt = select_one(await _search(alice, "?q=needle"), ".search-hit .excerpt").text

    assert "needle" in excerpt and excerpt.startswith("…") and excerpt.endswith("…")
    assert len(excerpt) <= search.EXCERPT_CHARS + 2


async def test_a_file_is_found_by_its_name(alice: Person, room_id: int) -> None:
    await alice.post_file(room_id, b"a,b\n1,2\n", "quarterly-budget.csv",
                          client_msg_id="file-search-0001", htmx=True)
    await alice.say(room_id, "nothing to see")

    html = await _search(alice, "?q=quarterly")

    hits = select(html, ".search-hit")
    assert len(hits) == 1
    assert [m.text for m in hits[0].select(".search-file mark")] == ["quarterly"]


def test_the_words_of_a_query_are_read_from_its_parsed_tree_without_the_ones_left_out() -> None:
    assert search.searched_prefixes("'deploy':* & !'lunch':* & 'it''s':*") == ("deploy", "it's")


async def test_a_hit_links_to_its_message_in_the_middle_of_its_history(
        alice: Person, room_id: int) -> None:
    for n in range(70):
        await alice.say(room_id, "needle here" if n == 10 else f"filler {n}")
    message = await Message.get(room_id=room_id, body="needle here")

    link = select_one(await _search(alice, "?q=needle"), ".search-hit a")["href"]
    assert link == f"/rooms/{room_id}?around={message.seq}#message-{message.client_msg_id}"

    page = await (await alice.get(link.split("#")[0])).get_data()
    seqs = [int(a["data-seq"]) for a in select(page, "article.message")]
    assert message.seq in seqs and seqs[0] < message.seq < seqs[-1]
    assert select(page, f"#message-{message.client_msg_id}")
