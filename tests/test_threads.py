"""Threads: replies beside a message, kept out of the room's timeline, summarised on their root
and pushed live; following, the unread count, notifications; and every refusal."""

from __future__ import annotations

from typing import Any

from tortoise.timezone import now

from app.models import (
    Delivery,
    Membership,
    Message,
    NotificationStatus,
    Room,
    ThreadFollow,
)
from app.queries.threads import has_read
from tests.helpers import Person, publish_key, sealed_form, select, select_one, start_direct
from tests.live import frame_matching, registered, socket
from tests.mailbox import SmtpServer, eventually


async def _root(person: Person, room_id: int, body: str = "Lunch plans?",
                client_msg_id: str = "root-00000000001") -> Message:
    response = await person.say(room_id, body, client_msg_id=client_msg_id)
    assert response.status_code == 303
    return await Message.get(client_msg_id=client_msg_id)


def _thread(room_id: int, root: Message) -> str:
    return f"/rooms/{room_id}/threads/{root.seq}"


async def _reply(person: Person, room_id: int, root: Message, body: str,
                 client_msg_id: str | None = None, **kw: Any) -> Any:
    form = {"body": body, **({"client_msg_id": client_msg_id} if client_msg_id else {})}
    form.update(kw.pop("form", {}))
    return await person.post(_thread(room_id, root) + "/messages", form, **kw)


async def test_a_reply_in_a_thread_shows_in_the_thread_not_in_the_room(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    response = await _reply(bob, room_id, root, "Tacos!", "reply-0000000001")

    assert response.status_code == 303
    assert response.headers["Location"] == _thread(room_id, root) + "#message-reply-0000000001"
    thread = await (await bob.get(_thread(room_id, root))).get_data()
    assert select_one(thread, ".thread-root .body").text.strip() == "Lunch plans?"
    assert select_one(thread, ".thread-replies #message-reply-0000000001 .body").text.strip() \
        == "Tacos!"
    assert select_one(thread, "form.thread-composer textarea[name=body]")  # works without JS
    room = await (await bob.get(f"/rooms/{room_id}")).get_data()
    assert select(room, ".messages #message-reply-0000000001") == []
    catch_up = await (await bob.get(f"/rooms/{room_id}/messages?after=0")).get_data()
    assert select(catch_up, "#message-reply-0000000001") == []


async def test_a_thread_reply_leaves_the_rooms_unread_count_alone(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)
    assert (await bob.post(f"/rooms/{room_id}/read-marker", {"seq": str(root.seq)})).status_code < 400

    await _reply(alice, room_id, root, "only in the thread")

    sidebar = await (await bob.get("/rooms")).get_data()
    assert select_one(sidebar, f"#room-{room_id}-unread").text.strip() == ""


async def test_the_root_shows_how_many_replies_and_who_replied(
        alice: Person, bob: Person, mallory: Person, room_id: int) -> None:
    root = await _root(alice, room_id)
    await mallory.join(room_id)

    for person, text in ((bob, "one"), (mallory, "two"), (bob, "three")):
        await _reply(person, room_id, root, text)

    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    summary = select_one(page, f"#message-{root.client_msg_id} .thread-summary")
    assert summary.select_one(".thread-count").text == "3 replies"
    assert summary.select_one(".thread-last").text.startswith("last ")
    assert [a["data-user-id"] for a in summary.select(".thread-repliers .avatar")] == \
        [str(bob.user_id), str(mallory.user_id)]
    assert summary["href"] == _thread(room_id, root)


async def test_also_send_to_the_room_shows_the_reply_in_the_room_too(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    await _reply(bob, room_id, root, "Everyone: tacos", "reply-0000000002",
                 form={"also_in_room": "1"})

    room = await (await alice.get(f"/rooms/{room_id}")).get_data()
    reply = select_one(room, ".messages #message-reply-0000000002")
    assert "replied to a thread" in reply.select_one(".thread-context").text
    assert reply.select_one(".thread-context a")["href"] == _thread(room_id, root)
    thread = await (await alice.get(_thread(room_id, root))).get_data()
    assert select_one(thread, ".thread-replies #message-reply-0000000002")


async def test_a_reply_re_renders_the_roots_summary_live_for_the_room(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)
    async with socket(alice, room_id) as ws:
        await registered(alice)

        await _reply(bob, room_id, root, "live!", "reply-0000000003")

        appended = await frame_matching(ws, f"#thread-{root.id}-replies")
        assert select_one(appended, "#message-reply-0000000003")
        changed = await frame_matching(ws, f"#message-{root.client_msg_id}[hx-swap-oob]")
        assert select_one(changed, ".thread-count").text == "1 reply"


async def test_who_follows_a_thread_the_author_repliers_and_the_mentioned(
        alice: Person, bob: Person, mallory: Person, room_id: int) -> None:
    root = await _root(alice, room_id)
    await mallory.join(room_id)

    await _reply(bob, room_id, root, "ask @mallory")

    followers = set(await ThreadFollow.filter(root_id=root.id).values_list("user_id", flat=True))
    assert followers == {alice.user_id, bob.user_id, mallory.user_id}


async def test_the_threads_count_and_page_and_opening_marks_read(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    await _reply(bob, room_id, root, "news in the thread")
    await _reply(bob, room_id, root, "more news")

    sidebar = await (await alice.get("/rooms")).get_data()
    assert select_one(sidebar, "#threads-unread .count").text == "1"
    page = await (await alice.get("/threads")).get_data()
    thread = select_one(page, ".followed-thread.unread")
    assert thread.select_one(".unread .count").text == "2"
    assert [b.text.strip() for b in thread.select(".followed-thread-replies .body")] == \
        ["news in the thread", "more news"]
    await alice.get(_thread(room_id, root))
    sidebar = await (await alice.get("/rooms")).get_data()
    assert select(sidebar, "#threads-unread .count") == []


async def test_follow_and_unfollow_in_one_click_without_javascript(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    response = await bob.post(_thread(room_id, root) + "/following")

    assert response.status_code == 303
    assert await ThreadFollow.exists(root_id=root.id, user_id=bob.user_id)
    page = await (await bob.get(_thread(room_id, root))).get_data()
    assert select_one(page, ".follow-button").text == "Following"
    response = await bob.post(_thread(room_id, root) + "/following/deletion")
    assert response.status_code == 303
    assert not await ThreadFollow.exists(root_id=root.id, user_id=bob.user_id)


async def test_following_needs_the_csrf_token(alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    response = await bob.client.post(_thread(room_id, root) + "/following", form={})
    reply = await bob.client.post(_thread(room_id, root) + "/messages", form={"body": "x"})

    assert response.status_code == 403 and reply.status_code == 403
    assert not await ThreadFollow.exists(root_id=root.id, user_id=bob.user_id)
    assert not await Message.exists(thread_root_id=root.id)


async def test_a_reply_in_a_followed_thread_is_e_mailed_like_a_mention(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    await _reply(bob, room_id, root, "for the thread's followers")

    rows = await Delivery.emails().filter(user_id=alice.user_id).values_list("kind", flat=True)
    assert list(rows) == ["mention"]


async def test_the_e_mail_for_a_followed_thread_goes_out_until_the_thread_is_read(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    root = await _root(alice, room_id)

    await _reply(bob, room_id, root, "thread news for alice")
    await eventually(lambda: _nothing_pending(alice.user_id))

    [mail] = smtp.inbox.to("alice@example.com")
    assert "thread news for alice" in mail.html


async def test_a_followed_thread_read_before_the_e_mail_is_due_sends_none(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)
    await _reply(bob, room_id, root, "read it in time")
    row = await Delivery.emails().get(user_id=alice.user_id).prefetch_related("message")

    assert await _unread_for(alice, row)
    await alice.get(_thread(room_id, root))
    assert not await _unread_for(alice, row)


async def _unread_for(person: Person, row: Delivery) -> bool:
    membership = await Membership.get(user_id=person.user_id, room_id=row.room_id)
    return not await has_read(membership, row.message)


async def _nothing_pending(user_id: int | None) -> bool:
    return not await Delivery.emails().filter(user_id=user_id,
                                              status=NotificationStatus.PENDING).exists()


async def test_a_thread_reply_links_to_its_thread(alice: Person, bob: Person,
                                                 room_id: int) -> None:
    root = await _root(alice, room_id)

    await _reply(bob, room_id, root, "linked", "reply-0000000004")

    thread = await (await alice.get(_thread(room_id, root))).get_data()
    link = select_one(thread, "#message-reply-0000000004 .message-link")["href"]
    assert link == _thread(room_id, root) + "#message-reply-0000000004"


async def test_replying_needs_membership(alice: Person, mallory: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    response = await _reply(mallory, room_id, root, "let me in")

    assert response.status_code == 403
    assert not await Message.exists(thread_root_id=root.id)


async def test_an_outsider_cannot_see_a_private_rooms_thread(alice: Person, mallory: Person,
                                                            private_room: int) -> None:
    root = await _root(alice, private_room)

    assert (await mallory.get(_thread(private_room, root))).status_code == 404
    assert (await _reply(mallory, private_room, root, "hi")).status_code == 404


async def test_no_thread_of_a_reply_of_another_room_or_of_nothing(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)
    other_room = await alice.create_room("elsewhere")
    elsewhere = await _root(alice, other_room, "not here", "root-00000000002")
    await _reply(alice, room_id, root, "in thread", "reply-0000000005",
                 form={"also_in_room": "1"})
    also = await Message.get(client_msg_id="reply-0000000005")

    for seq in (also.seq, elsewhere.seq + 100, 0):
        response = await bob.post(f"/rooms/{room_id}/threads/{seq}/messages", {"body": "x"})
        assert response.status_code == 404, seq
    page = await bob.get(f"/rooms/{room_id}/threads/{also.seq}")
    assert page.status_code == 404
    assert "no such message" in (await page.get_data(as_text=True))


async def test_a_deleted_message_takes_no_thread_replies(alice: Person, bob: Person,
                                                        room_id: int) -> None:
    root = await _root(alice, room_id)
    await alice.post(f"/rooms/{room_id}/messages/{root.id}/deletion")

    response = await _reply(bob, room_id, root, "too late")
    htmx = await _reply(bob, room_id, root, "too late", htmx=True)

    assert response.status_code == 409
    assert "deleted" in select_one(await response.get_data(), ".thread .field-error").text
    assert htmx.status_code == 422
    assert "deleted" in select_one(await htmx.get_data(), ".field-error").text
    assert not await Message.exists(thread_root_id=root.id)


async def test_an_archived_rooms_threads_are_gone(alice: Person, bob: Person,
                                                 room_id: int) -> None:
    root = await _root(alice, room_id)
    await Room.filter(id=room_id).update(archived_at=now())

    assert (await _reply(bob, room_id, root, "hello?")).status_code == 404
    assert (await bob.get(_thread(room_id, root))).status_code == 404


async def test_an_empty_reply_is_refused_and_the_retry_posts_once(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    empty = await _reply(bob, room_id, root, "   ")
    first = await _reply(bob, room_id, root, "once", "reply-0000000006")
    again = await _reply(bob, room_id, root, "once", "reply-0000000006")

    assert empty.status_code == 400
    assert first.status_code == again.status_code == 303
    assert await Message.filter(thread_root_id=root.id).count() == 1


async def test_the_htmx_reply_answers_the_fragment_and_the_panel_comes_alone(
        alice: Person, bob: Person, room_id: int) -> None:
    root = await _root(alice, room_id)

    response = await _reply(bob, room_id, root, "via htmx", "reply-0000000007", htmx=True)
    panel = await bob.get(_thread(room_id, root),
                          headers={"HX-Request": "true", "HX-Target": "thread-panel"})

    assert select_one(await response.get_data(), "article#message-reply-0000000007")
    html = await panel.get_data()
    assert select_one(html, "section.thread")
    assert select(html, "html, .sidebar") == []


async def test_a_direct_rooms_thread_reply_is_sealed_and_only_its_root_is_plaintext(
        alice: Person, bob: Person) -> None:
    keys = [await publish_key(alice), await publish_key(bob)]
    room = await start_direct(alice, "bob")
    response = await alice.post(f"/rooms/{room}/messages",
                                sealed_form(keys[0], keys, client_msg_id="droot-0000000001"))
    assert response.status_code == 303
    root = await Message.get(client_msg_id="droot-0000000001")

    sealed = await bob.post(_thread(room, root) + "/messages",
                            sealed_form(keys[1], keys, client_msg_id="dreply-000000001"))
    plain = await _reply(bob, room, root, "in clear")

    assert sealed.status_code == 303
    reply = await Message.get(client_msg_id="dreply-000000001")
    assert reply.thread_root_id == root.id and reply.body == "" and reply.envelope
    assert plain.status_code == 400
    thread = await (await alice.get(_thread(room, root))).get_data()
    assert select_one(thread, ".thread-replies #message-dreply-000000001[data-envelope]")
    assert select_one(thread, "form.thread-composer[data-sealed]")
    assert [r["kind"] for r in await Delivery.emails().filter(user_id=alice.user_id).values("kind")] \
        == ["direct_message"]


async def test_a_search_hit_in_a_thread_opens_the_thread(alice: Person, bob: Person,
                                                        room_id: int) -> None:
    root = await _root(alice, room_id)
    await _reply(bob, room_id, root, "quokka sightings", "reply-0000000008")

    page = await (await alice.get("/search?q=quokka")).get_data()

    assert select_one(page, ".search-results a[href*='/threads/'], a[href*='/threads/']")[
        "href"] == _thread(room_id, root) + "#message-reply-0000000008"


async def test_exports_nest_thread_replies_under_their_root(alice: Person, bob: Person,
                                                           room_id: int) -> None:
    root = await _root(alice, room_id)
    await _reply(bob, room_id, root, "first reply")
    await _reply(alice, room_id, root, "second, also in the room", form={"also_in_room": "1"})

    data = await (await alice.get(f"/rooms/{room_id}/export.json")).get_json()
    html = await (await alice.get(f"/rooms/{room_id}/export.html")).get_data()

    first = data["messages"][0]
    assert first["body"] == "Lunch plans?"
    assert [r["body"] for r in first["replies"]] == ["first reply", "second, also in the room"]
    assert first["replies"][0]["seq"] is None and first["replies"][0]["in_thread"]
    assert [m["body"] for m in data["messages"]] == ["Lunch plans?", "second, also in the room"]
    nested = select(html, "ol.messages > li.message > ol.replies > li .body")
    assert [b.text.strip() for b in nested] == ["first reply", "second, also in the room"]
