"""Posting messages and reading history: paging, catch-up, idempotency, escaping."""

from __future__ import annotations

from app.models import Membership, Message
from tests.helpers import Person, select, select_one


async def test_plain_post_redirects_to_the_newest_page_at_the_new_message(
        alice: Person, room_id: int) -> None:
    response = await alice.say(room_id, "hello\nworld")

    assert response.status_code == 303
    path, anchor = response.headers["Location"].split("#")
    assert path == f"/rooms/{room_id}"
    page = await (await alice.get(path)).get_data()
    message = select_one(page, f"#{anchor}")
    assert "message" in message["class"]
    assert select_one(str(message), ".body").text == "hello\nworld"
    assert select_one(str(message), ".author").text == "alice"
    assert select_one(str(message), "time")["datetime"].startswith("20")


async def test_htmx_post_returns_the_message_fragment(alice: Person, room_id: int) -> None:
    response = await alice.say(room_id, "hi", client_msg_id="abcdef0123456789", htmx=True)

    html = await response.get_data()
    article = select_one(html, "article.message")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert article["id"] == "message-abcdef0123456789"
    assert article["data-seq"] == "1"
    assert article["data-author-id"] == str(alice.user_id)


async def test_the_same_client_msg_id_posts_once(alice: Person, room_id: int) -> None:
    first = await alice.say(room_id, "once", client_msg_id="retry-0000000001", htmx=True)
    second = await alice.say(room_id, "once", client_msg_id="retry-0000000001", htmx=True)

    assert await Message.filter(room_id=room_id).count() == 1
    assert await first.get_data() == await second.get_data()


async def test_someone_elses_client_msg_id_is_refused(alice: Person, bob: Person,
                                                      room_id: int) -> None:
    await alice.say(room_id, "mine", client_msg_id="taken-0000000001")

    response = await bob.say(room_id, "hijack", client_msg_id="taken-0000000001")

    assert response.status_code == 400
    assert (await Message.get(room_id=room_id)).body == "mine"


async def test_a_non_member_cannot_post(alice: Person, mallory: Person, room_id: int) -> None:
    response = await mallory.say(room_id, "let me in")

    assert response.status_code == 403
    assert await Message.filter(room_id=room_id).count() == 0


async def test_an_empty_message_is_refused_with_a_clear_error(alice: Person, room_id: int) -> None:
    response = await alice.say(room_id, "   \n ")

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#composer-error").text.strip() == \
        "Write a message or attach a file before sending."


async def test_a_too_long_message_is_refused_and_the_text_kept(alice: Person, room_id: int) -> None:
    text = "x" * 10_001

    plain = await alice.say(room_id, text)
    htmx = await alice.say(room_id, text, htmx=True)

    page = await plain.get_data()
    assert plain.status_code == 400
    assert "at most 10,000 characters" in select_one(page, "#composer-error").text
    assert select_one(page, "textarea[name=body]").text == text
    assert htmx.status_code == 422
    assert htmx.headers["HX-Retarget"] == "#composer-error"
    assert await Message.filter(room_id=room_id).count() == 0


async def test_the_room_shows_the_newest_50_and_pages_back(alice: Person, room_id: int) -> None:
    for n in range(1, 121):
        await alice.say(room_id, f"message {n}")

    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    seqs = [int(m["data-seq"]) for m in select(page, ".message")]
    older = select_one(page, "a.older")
    fragment = await (await alice.get(older["hx-get"])).get_data()
    earlier = [int(m["data-seq"]) for m in select(fragment, ".message")]
    plain_older = await (await alice.get(older["href"])).get_data()

    assert seqs == list(range(71, 121))
    assert older["hx-get"] == f"/rooms/{room_id}/messages?before=71"
    assert earlier == list(range(21, 71))
    assert select_one(fragment, "a.older")["hx-get"].endswith("before=21")
    assert [int(m["data-seq"]) for m in select(plain_older, ".message")] == list(range(21, 71))


async def test_catch_up_returns_messages_after_a_seq_in_order(alice: Person, bob: Person,
                                                              room_id: int) -> None:
    for n in range(1, 8):
        await (alice if n % 2 else bob).say(room_id, f"m{n}")

    fragment = await (await bob.get(f"/rooms/{room_id}/messages?after=3")).get_data()

    assert [m["data-seq"] for m in select(fragment, ".message")] == ["4", "5", "6", "7"]
    assert [m.select_one(".body").text for m in select(fragment, ".message")] == \
        ["m4", "m5", "m6", "m7"]


async def test_message_bodies_are_escaped_and_links_made_clickable(alice: Person,
                                                                   room_id: int) -> None:
    payload = '<script>alert(1)</script> see https://example.com/a?b=1&c="x" now'
    await alice.say(room_id, payload)

    html = await (await alice.get(f"/rooms/{room_id}")).get_data(as_text=True)

    body = select_one(html, ".message .body")
    assert "<script>alert(1)</script>" not in html
    assert body.text == payload
    link = select_one(str(body), "a")
    assert link["href"] == "https://example.com/a?b=1&c=%22x%22"  # quotes percent-encoded
    assert "noopener" in link["rel"]


async def test_javascript_urls_are_not_linked(alice: Person, room_id: int) -> None:
    await alice.say(room_id, "javascript:alert(1) and data:text/html,hi")

    html = await (await alice.get(f"/rooms/{room_id}")).get_data()

    assert select(html, ".message .body a") == []


async def test_opening_a_room_writes_nothing_and_its_read_marker_marks_it_read(
        alice: Person, bob: Person, room_id: int) -> None:
    await bob.post(f"/rooms/{room_id}/involvement", {"involvement": "everything"})  # counted
    for n in range(3):
        await alice.say(room_id, f"unread {n}")

    page = await (await bob.get(f"/rooms/{room_id}")).get_data()
    after_get = await Membership.get(room_id=room_id, user_id=bob.user_id)
    marker = select_one(page, ".room[data-read-marker]")
    button = select_one(page, "noscript form.read-marker")  # the way without JavaScript
    marked = await bob.post(marker["data-read-marker"], {"seq": "2"}, htmx=True)
    after_post = await Membership.get(room_id=room_id, user_id=bob.user_id)
    sidebar = await (await bob.get("/rooms")).get_data()

    assert after_get.last_read_seq == 0
    assert marker["data-read-seq"] == "0"
    assert button["action"] == marker["data-read-marker"]
    assert select_one(str(button), "input[name=seq]")["value"] == "3"
    assert marked.status_code == 204
    assert after_post.last_read_seq == 2
    assert select_one(sidebar, f"#room-{room_id}-unread").text == "1"


async def test_the_no_javascript_read_button_marks_everything_read(alice: Person, bob: Person,
                                                                   room_id: int) -> None:
    await alice.say(room_id, "hello")
    await alice.say(room_id, "anyone?")

    response = await bob.post(f"/rooms/{room_id}/read-marker", {"seq": "2"})
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()

    assert response.status_code == 303
    assert response.headers["Location"] == f"/rooms/{room_id}"
    assert select_one(page, f"#room-{room_id}-unread").text == ""
    assert select(page, "noscript form.read-marker") == []


async def test_a_read_marker_never_moves_past_the_newest_message(alice: Person, bob: Person,
                                                                 room_id: int) -> None:
    await alice.say(room_id, "only one")

    await bob.post(f"/rooms/{room_id}/read-marker", {"seq": "2147483647"})

    assert (await Membership.get(room_id=room_id, user_id=bob.user_id)).last_read_seq == 1
