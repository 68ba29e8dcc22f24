"""Private conversations on the server: ciphertext only, numbered, idempotent, for two people."""

from __future__ import annotations

import os

import pytest
from quart import Quart

from app.models import Conversation, DirectMessage
from app.rendering import render_fragment
from tests.helpers import Person, b64url, envelope_form, publish_key, select, select_one


@pytest.fixture
async def keys(alice: Person, bob: Person, room_id: int) -> dict[str, int]:
    """Alice and bob, who share a room, each with a published key."""
    return {"alice": await publish_key(alice), "bob": await publish_key(bob)}


async def send(person: Person, to: str, sender_key: int, recipient_key: int, *,
               htmx: bool = True, **overrides: str) -> object:
    form = envelope_form(sender_key, recipient_key, **overrides)
    return await person.post(f"/dm/{to}/messages", form, htmx=htmx)


async def test_the_conversation_page_says_javascript_is_needed_and_shows_no_plaintext_field(
        alice: Person, bob: Person, room_id: int) -> None:
    response = await alice.get("/dm/bob")

    html = await response.get_data()
    composer = select_one(html, "form#dm-composer")
    assert response.status_code == 200
    assert "needs JavaScript" in select_one(html, "noscript").text
    assert composer.has_attr("hidden")
    assert not select_one(str(composer), "textarea").has_attr("name")
    assert select(html, ".dm input[type=password][name]") == []


async def test_a_stranger_gets_404_for_the_page_its_messages_and_sending(
        alice: Person, bob: Person, mallory: Person, keys: dict[str, int]) -> None:
    await send(alice, "bob", keys["alice"], keys["bob"])

    page = await mallory.get("/dm/bob")
    history = await mallory.get("/dm/bob/messages?after=0")
    other_side = await mallory.get("/dm/alice/messages")
    post = await mallory.post("/dm/bob/messages", envelope_form(keys["alice"], keys["bob"]))

    assert page.status_code == history.status_code == other_side.status_code == 404
    assert post.status_code == 404
    assert await DirectMessage.all().count() == 1


async def test_unknown_people_and_myself_are_not_found(alice: Person, room_id: int) -> None:
    assert (await alice.get("/dm/nobody")).status_code == 404
    assert (await alice.get("/dm/alice")).status_code == 404


async def test_sending_stores_ciphertext_numbered_in_the_conversation(
        alice: Person, bob: Person, keys: dict[str, int]) -> None:
    form = envelope_form(keys["alice"], keys["bob"], client_msg_id="first-0000000001")

    response = await alice.post("/dm/bob/messages", form, htmx=True)
    await send(bob, "alice", keys["bob"], keys["alice"])

    article = select_one(await response.get_data(), "article.dm-message")
    stored = await DirectMessage.get(client_msg_id="first-0000000001")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert article["id"] == f"directmessage-{stored.id}"
    assert (article["data-seq"], article["data-author-id"]) == ("1", str(alice.user_id))
    assert (article["data-ciphertext"], article["data-iv"], article["data-salt"]) == (
        form["ciphertext"], form["iv"], form["salt"])
    assert (article["data-sender-key-id"], article["data-recipient-key-id"]) == (
        str(keys["alice"]), str(keys["bob"]))
    assert [m.seq for m in await DirectMessage.all().order_by("seq")] == [1, 2]
    assert await Conversation.all().count() == 1


async def test_a_plain_post_redirects_back_to_the_conversation(alice: Person, bob: Person,
                                                               keys: dict[str, int]) -> None:
    response = await send(alice, "bob", keys["alice"], keys["bob"], htmx=False)

    assert response.status_code == 303
    assert response.headers["Location"] == "/dm/bob"


async def test_a_post_without_ciphertext_says_javascript_is_needed(alice: Person, bob: Person,
                                                                  keys: dict[str, int]) -> None:
    response = await alice.post("/dm/bob/messages", {"client_msg_id": "nojs-00000000001",
                                                     "body": "plain words"})

    assert response.status_code == 400
    assert "needs JavaScript" in select_one(await response.get_data(), "main").text
    assert await DirectMessage.all().count() == 0


async def test_the_same_client_msg_id_sends_once(alice: Person, bob: Person,
                                                 keys: dict[str, int]) -> None:
    form = envelope_form(keys["alice"], keys["bob"])

    first = await alice.post("/dm/bob/messages", form, htmx=True)
    second = await alice.post("/dm/bob/messages", form, htmx=True)

    assert await DirectMessage.all().count() == 1
    assert await first.get_data() == await second.get_data()


async def test_someone_elses_client_msg_id_is_refused(alice: Person, bob: Person,
                                                      keys: dict[str, int]) -> None:
    await send(alice, "bob", keys["alice"], keys["bob"], client_msg_id="taken-0000000001")

    response = await send(bob, "alice", keys["bob"], keys["alice"],
                          client_msg_id="taken-0000000001")

    assert response.status_code == 422
    assert await DirectMessage.all().count() == 1


MALFORMED_ENVELOPES = [
    ("ciphertext", b64url(os.urandom(16))),
    ("ciphertext", b64url(os.urandom(64 * 1024 + 1))),
    ("ciphertext", "aGVsbG8gd29ybGQ+Pz8/"),
    ("ciphertext", "hello world, in plain text"),
    ("iv", b64url(os.urandom(11))),
    ("salt", b64url(os.urandom(16))),
    ("sender_key_id", "x"),
    ("recipient_key_id", "-1"),
    ("client_msg_id", "bad id!"),
]


async def test_each_malformed_envelope_field_is_refused(alice: Person, bob: Person,
                                                        keys: dict[str, int]) -> None:
    statuses = {}
    for field, value in MALFORMED_ENVELOPES:
        response = await send(alice, "bob", keys["alice"], keys["bob"], **{field: value})
        statuses[field, value] = response.status_code

    assert statuses == {case: 422 for case in MALFORMED_ENVELOPES}
    assert await DirectMessage.all().count() == 0


async def test_a_message_for_the_contacts_old_key_is_refused_as_a_key_change(
        alice: Person, bob: Person, keys: dict[str, int]) -> None:
    await publish_key(bob)

    response = await send(alice, "bob", keys["alice"], keys["bob"])

    assert response.status_code == 409
    assert "bob's key changed" in select_one(await response.get_data(), "p").text
    assert await DirectMessage.all().count() == 0
    assert (await Conversation.get()).last_seq == 0


async def test_a_message_cannot_claim_someone_elses_key_as_the_senders(
        alice: Person, bob: Person, keys: dict[str, int]) -> None:
    response = await send(alice, "bob", keys["bob"], keys["bob"])

    assert response.status_code == 409
    assert await DirectMessage.all().count() == 0


async def test_sending_before_the_contact_has_a_key_is_refused(alice: Person, bob: Person,
                                                               room_id: int) -> None:
    mine = await publish_key(alice)

    response = await send(alice, "bob", mine, mine)

    assert response.status_code == 409


async def test_catch_up_and_paging_return_fragments_in_order(alice: Person, bob: Person,
                                                             keys: dict[str, int]) -> None:
    for n in range(1, 61):
        sender, to = (alice, "bob") if n % 2 else (bob, "alice")
        await send(sender, to, keys[sender.username], keys[to])

    after = await (await bob.get("/dm/alice/messages?after=55")).get_data()
    page = await (await bob.get("/dm/alice")).get_data()
    older = select_one(page, "a.older")
    before = await (await bob.get(older["hx-get"])).get_data()

    assert [m["data-seq"] for m in select(after, ".dm-message")] == ["56", "57", "58", "59", "60"]
    assert [int(m["data-seq"]) for m in select(page, ".dm-message")] == list(range(11, 61))
    assert older["hx-get"] == "/dm/alice/messages?before=11"
    assert [int(m["data-seq"]) for m in select(before, ".dm-message")] == list(range(1, 11))


async def test_my_conversations_show_unread_counts_until_opened(alice: Person, bob: Person,
                                                               keys: dict[str, int]) -> None:
    for _ in range(3):
        await send(alice, "bob", keys["alice"], keys["bob"])
    conversation = await Conversation.get()

    before = await (await bob.get("/dm")).get_data()
    await bob.get("/dm/alice")
    after = await (await bob.get("/dm")).get_data()
    senders_view = await (await alice.get("/dm")).get_data()

    unread = f"#conversation-{conversation.id}-unread"
    assert select_one(before, ".conversation-item a").text == "alice"
    assert select_one(before, unread).text == "3"
    assert select_one(after, unread).text == ""
    assert select_one(senders_view, unread).text == ""


async def test_the_start_form_opens_a_conversation_with_a_roommate(alice: Person, bob: Person,
                                                                   room_id: int) -> None:
    response = await alice.post("/dm", {"username": "Bob"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/dm/bob"
    assert await Conversation.all().count() == 1


async def test_the_start_form_refuses_strangers_and_unknown_names_alike(
        alice: Person, mallory: Person, room_id: int) -> None:
    stranger = await mallory.post("/dm", {"username": "alice"})
    unknown = await mallory.post("/dm", {"username": "nobody"})

    assert stranger.status_code == unknown.status_code == 400
    assert select_one(await stranger.get_data(), "#username-error").text == \
        select_one(await unknown.get_data(), "#username-error").text
    assert await Conversation.all().count() == 0


async def test_the_message_fragment_renders_without_a_viewer(app: Quart, alice: Person,
                                                             bob: Person,
                                                             keys: dict[str, int]) -> None:
    await send(alice, "bob", keys["alice"], keys["bob"])
    message = await DirectMessage.get().prefetch_related("sender")

    async with app.app_context():
        html = await render_fragment("dm/_message.html", message=message)

    assert select_one(html, ".dm-message .body").text == "Encrypted message"
    assert select_one(html, ".dm-message")["data-ciphertext"] == message.ciphertext
