"""A message's fragment is rendered once per version and reused by every list that shows it,
and any change of what it shows (edit, deletion, reaction, its author's name or avatar, a
reactor's name, the quoted message) renders it again."""

from __future__ import annotations

from app.live_views.fragments import FragmentCache
from app.models import Message, User
from tests.helpers import Person, select, select_one
from tests.images import still
from tests.live import frame_matching, ready, socket


def _cache(person: Person) -> FragmentCache:
    return person.app.extensions["fragment_cache"]


async def _page(person: Person, room_id: int) -> bytes:
    response = await person.get(f"/rooms/{room_id}")
    assert response.status_code == 200
    return await response.get_data()


async def _catch_up(person: Person, room_id: int) -> bytes:
    response = await person.get(f"/rooms/{room_id}/messages?after=0")
    assert response.status_code == 200
    return await response.get_data()


async def _posted(person: Person, room_id: int, body: str, cid: str, **kw: object) -> Message:
    await person.say(room_id, body, client_msg_id=cid, **kw)
    return await Message.get(client_msg_id=cid)


async def test_two_viewers_pages_and_the_catch_up_render_each_message_once(
        alice: Person, bob: Person, room_id: int) -> None:
    for i in range(3):
        await alice.say(room_id, f"hello **{i}**", client_msg_id=f"once-00000000000{i}")
    await bob.say(room_id, "hi alice", client_msg_id="once-000000000009")
    _cache(alice).clear()
    before = _cache(alice).renders

    alices, bobs = await _page(alice, room_id), await _page(bob, room_id)
    await _catch_up(bob, room_id)

    assert _cache(alice).renders - before == 4  # four messages, each rendered once
    # What differs by viewer is still theirs: "mine" marks each one's own messages.
    assert [m["id"] for m in select(alices, ".message.mine")] == \
        [f"message-once-00000000000{i}" for i in range(3)]
    assert [m["id"] for m in select(bobs, ".message.mine")] == ["message-once-000000000009"]
    # The room's owner may manage every message without JavaScript; bob none but his own.
    assert len(select(alices, ".message.can-manage")) == 4
    assert select(bobs, ".message.can-manage") == []
    # One author's run: the later messages of alice are "continued" under her header.
    assert [m["id"] for m in select(alices, ".message.continued")] == \
        ["message-once-000000000001", "message-once-000000000002"]


async def test_each_viewer_gets_their_own_token_in_the_reaction_forms(
        alice: Person, bob: Person, room_id: int) -> None:
    message = await _posted(alice, room_id, "react", "react-000000000001")
    await bob.post(f"/rooms/{room_id}/messages/{message.id}/reactions", {"emoji": "🎉"})

    for person in (alice, bob):
        token = await person.csrf()
        form = select_one(await _page(person, room_id), ".reaction-form")
        assert form.select_one("input[name=csrf_token]")["value"] == token
    # Without a viewer (the catch-up, the sockets) there is no token to give.
    assert select(await _catch_up(alice, room_id), "input[name=csrf_token]") == []


async def test_the_socket_frame_and_the_page_share_the_render(
        alice: Person, bob: Person, room_id: int) -> None:
    async with socket(bob, room_id) as ws:
        await ready(ws)
        before = _cache(alice).renders
        await alice.say(room_id, "shared", client_msg_id="share-000000000001")
        await frame_matching(ws, "article#message-share-000000000001")
        await _page(bob, room_id)
        await _catch_up(alice, room_id)
    assert _cache(alice).renders - before == 1


async def test_an_edit_a_deletion_and_a_reaction_show_at_once(
        alice: Person, bob: Person, room_id: int) -> None:
    edited = await _posted(alice, room_id, "helo", "change-00000000001")
    deleted = await _posted(alice, room_id, "oops", "change-00000000002")
    reacted = await _posted(alice, room_id, "nice", "change-00000000003")
    await _page(bob, room_id)  # all three cached

    await alice.post(f"/rooms/{room_id}/messages/{edited.id}", {"body": "hello"})
    await alice.post(f"/rooms/{room_id}/messages/{deleted.id}/deletion")
    await bob.post(f"/rooms/{room_id}/messages/{reacted.id}/reactions", {"emoji": "🎉"})

    for html in (await _page(bob, room_id), await _catch_up(bob, room_id)):
        assert select_one(html, "#message-change-00000000001 .body").text == "hello"
        assert select_one(html, "#message-change-00000000001 .edited")
        assert select_one(html, "#message-change-00000000002 .tombstone")
        assert select_one(html, "#message-change-00000000003 .reaction")["title"] == "Party: bob"


async def test_a_new_name_or_avatar_shows_on_every_cached_message(
        alice: Person, bob: Person, room_id: int) -> None:
    plain = await _posted(alice, room_id, "hello", "person-00000000001")
    reacted = await _posted(bob, room_id, "react here", "person-00000000002")
    await alice.post(f"/rooms/{room_id}/messages/{reacted.id}/reactions", {"emoji": "🎉"})
    await bob.post(f"/rooms/{room_id}/messages", {"body": "replying",
                                                  "client_msg_id": "person-00000000003",
                                                  "reply_to": str(plain.id)})
    html = await _page(bob, room_id)
    assert select_one(html, "#message-person-00000000001 .author").text == "alice"

    # A rename (no form for it yet: an administrator's change in the table).
    await User.filter(id=alice.user_id).update(username="alicia")
    html = await _page(bob, room_id)
    assert select_one(html, "#message-person-00000000001 .author").text == "alicia"
    assert select_one(html, "#message-person-00000000002 .reaction")["title"] == "Party: alicia"
    assert select_one(html, "#message-person-00000000003 .reply-quote-author").text == "alicia"

    # A new avatar: the photo instead of the initials.
    assert select(html, "#message-person-00000000001 img.avatar") == []
    response = await alice.upload_avatar(still("JPEG", (300, 300)))
    assert response.status_code in (200, 303)
    html = await _page(bob, room_id)
    assert select_one(html, "#message-person-00000000001 img.avatar")


async def test_an_edit_of_the_quoted_message_shows_in_the_reply(
        alice: Person, bob: Person, room_id: int) -> None:
    original = await _posted(alice, room_id, "the first text", "quote-000000000001")
    await bob.post(f"/rooms/{room_id}/messages", {"body": "agreed",
                                                  "client_msg_id": "quote-000000000002",
                                                  "reply_to": str(original.id)})
    quote = "#message-quote-000000000002 .reply-quote-text"
    assert select_one(await _page(bob, room_id), quote).text == "the first text"

    await alice.post(f"/rooms/{room_id}/messages/{original.id}", {"body": "the second text"})
    assert select_one(await _page(bob, room_id), quote).text == "the second text"
    await alice.post(f"/rooms/{room_id}/messages/{original.id}/deletion")
    assert select_one(await _page(bob, room_id), quote).text == "message deleted"


def test_the_cache_is_bounded_and_keeps_the_recently_used() -> None:
    cache = FragmentCache(size=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
