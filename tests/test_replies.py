"""Replies: a message may quote an earlier message of its room; the quote shows on the page,
in the catch-up and in the live frame, and every bad reply target is refused with a 4xx."""

from __future__ import annotations

from app.models import Message
from tests.helpers import Person, publish_key, sealed_form, select, select_one, start_direct
from tests.live import frame_matching, registered, socket


async def _message(room_id: int, body: str) -> Message:
    return await Message.get(room_id=room_id, body=body)


async def _reply(person: Person, room_id: int, body: str, reply_to: object, **kw: object):
    return await person.post(f"/rooms/{room_id}/messages",
                             {"body": body, "reply_to": str(reply_to)}, **kw)


async def test_a_reply_is_stored_and_quotes_its_original_on_the_page(
        alice: Person, bob: Person, room_id: int) -> None:
    await bob.say(room_id, "**Lunch** at `noon`? " + "x" * 200)
    original = await _message(room_id, "**Lunch** at `noon`? " + "x" * 200)

    response = await _reply(alice, room_id, "yes!", original.id)

    assert response.status_code == 303
    reply = await _message(room_id, "yes!")
    assert reply.reply_to_id == original.id
    html = await (await alice.get(f"/rooms/{room_id}")).get_data()
    quote = select_one(html, f"#message-{reply.client_msg_id} .reply-quote")
    assert quote["href"] == (f"/rooms/{room_id}?around={original.seq}"
                             f"#message-{original.client_msg_id}")
    assert quote["data-quoted"] == f"message-{original.client_msg_id}"
    assert select_one(str(quote), ".reply-quote-author").text == "bob"
    text = select_one(str(quote), ".reply-quote-text").text
    assert text.startswith("Lunch at noon? xxx") and len(text) == 120 and text.endswith("…")
    assert select(html, f"#message-{original.client_msg_id} .reply-quote") == []


async def test_the_quote_is_in_the_catch_up_and_the_live_frame(
        alice: Person, bob: Person, room_id: int) -> None:
    await bob.say(room_id, "the original")
    original = await _message(room_id, "the original")
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await _reply(alice, room_id, "the reply", original.id, htmx=True)

        frame = await frame_matching(ws, ".reply-quote")
    assert select_one(frame, ".reply-quote-text").text == "the original"
    after = await (await bob.get(f"/rooms/{room_id}/messages?after={original.seq}")).get_data()
    assert select_one(after, ".reply-quote-author").text == "bob"


async def test_a_deleted_original_is_quoted_as_deleted(
        alice: Person, bob: Person, room_id: int) -> None:
    await bob.say(room_id, "soon gone")
    original = await _message(room_id, "soon gone")
    await _reply(alice, room_id, "answer", original.id)

    await bob.post(f"/rooms/{room_id}/messages/{original.id}/deletion")

    html = await (await alice.get(f"/rooms/{room_id}")).get_data()
    assert select_one(html, ".reply-quote-text").text == "message deleted"
    assert "soon gone" not in html.decode()


async def test_bad_reply_targets_are_refused_and_nothing_is_posted(
        app, alice: Person, bob: Person, room_id: int) -> None:
    elsewhere = await bob.create_room("elsewhere")
    await bob.say(elsewhere, "not in general")
    foreign = await _message(elsewhere, "not in general")
    await bob.say(room_id, "deleted one")
    deleted = await _message(room_id, "deleted one")
    await bob.post(f"/rooms/{room_id}/messages/{deleted.id}/deletion")

    for bad in (foreign.id, deleted.id, 999_999_999, 2 ** 63, "9" * 5000, -1, "1\x00", "abc",
                "１"):
        plain = await _reply(alice, room_id, "refused", bad)
        htmx = await _reply(alice, room_id, "refused", bad, htmx=True)

        assert plain.status_code in (400, 422), bad
        assert htmx.status_code in (400, 422), bad
        if plain.status_code == 400 and "\x00" not in str(bad):
            page = await plain.get_data(as_text=True)
            assert "not in this room or was deleted" in page
            assert select_one(page, "textarea[name=body]").text == "refused"  # kept
    assert not await Message.filter(body="refused").exists()


async def test_without_javascript_the_reply_link_opens_a_composer_with_the_quote(
        alice: Person, bob: Person, room_id: int) -> None:
    await bob.say(room_id, "reply to me")
    original = await _message(room_id, "reply to me")
    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    link = select_one(page, f"#message-{original.client_msg_id} .reply-action")["href"]
    assert link == f"/rooms/{room_id}?reply_to={original.id}#composer"

    composer = await (await alice.get(link.split("#")[0])).get_data()

    bar = select_one(composer, "form#composer #reply-bar")
    assert not bar.has_attr("hidden")
    assert select_one(str(bar), "input[name=reply_to]")["value"] == str(original.id)
    assert "Replying to bob" in " ".join(bar.text.split())
    assert select_one(str(bar), ".reply-quote-text").text == "reply to me"
    form = {i["name"]: i.get("value", "") for i in select(composer, "form#composer input[name]")}
    form["body"] = "no-JS reply"
    del form["csrf_token"]
    response = await alice.post(f"/rooms/{room_id}/messages", form)
    assert response.status_code == 303
    assert (await _message(room_id, "no-JS reply")).reply_to_id == original.id
    plain = await (await alice.get(f"/rooms/{room_id}")).get_data()
    assert select_one(plain, "#reply-bar").has_attr("hidden")


async def test_a_reply_target_from_another_room_gives_a_plain_composer(
        alice: Person, bob: Person, room_id: int) -> None:
    elsewhere = await bob.create_room("elsewhere")
    await bob.say(elsewhere, "secret")
    foreign = await _message(elsewhere, "secret")

    page = await (await alice.get(f"/rooms/{room_id}?reply_to={foreign.id}")).get_data()

    assert select_one(page, "#reply-bar").has_attr("hidden")
    assert "secret" not in page.decode()
    assert (await alice.get(f"/rooms/{room_id}?reply_to=99999999999999")).status_code == 400


async def test_a_sealed_reply_names_only_the_author(alice: Person, bob: Person,
                                                    room_id: int) -> None:
    keys = {"alice": await publish_key(alice), "bob": await publish_key(bob)}
    direct = await start_direct(alice, "bob")
    members = [keys["alice"], keys["bob"]]
    await bob.post(f"/rooms/{direct}/messages", sealed_form(keys["bob"], members))
    original = await Message.get(room_id=direct)

    response = await alice.post(f"/rooms/{direct}/messages",
                                {**sealed_form(keys["alice"], members),
                                 "reply_to": str(original.id)})
    foreign = await alice.post(f"/rooms/{direct}/messages",
                               {**sealed_form(keys["alice"], members), "reply_to": "999999"})

    assert response.status_code == 303
    assert foreign.status_code == 400
    reply = await Message.filter(room_id=direct).order_by("-seq").first()
    assert reply is not None and reply.reply_to_id == original.id
    html = await (await bob.get(f"/rooms/{direct}")).get_data()
    quote = select_one(html, f"#message-{reply.client_msg_id} .reply-quote")
    assert " ".join(quote.text.split()) == "reply to bob"
