"""Private conversations are rooms of kind `direct`: started by POST, sealed, never exposed."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from quart import Quart

from app.actions.webhooks import create_webhook
from app.models import Delivery, Membership, Message, NotificationKind, Room, RoomKind, User
from app.queries.messages import message_for_display
from app.rendering import render_fragment
from tests.helpers import (
    Person,
    b64url,
    publish_key,
    sealed_envelope,
    sealed_form,
    select,
    select_one,
    start_direct,
)


@pytest.fixture
async def keys(alice: Person, bob: Person, room_id: int) -> dict[str, int]:
    """Alice and bob, who share a room, each with a published key."""
    return {"alice": await publish_key(alice), "bob": await publish_key(bob)}


@pytest.fixture
async def direct(alice: Person, keys: dict[str, int]) -> int:
    """Alice's conversation with bob."""
    return await start_direct(alice, "bob")


async def send(person: Person, room: int, sender_key: int, member_keys: list[int], *,
               htmx: bool = True, **overrides: object) -> object:
    return await person.post(f"/rooms/{room}/messages",
                             sealed_form(sender_key, member_keys, **overrides), htmx=htmx)


async def test_opening_dm_bob_for_the_first_time_writes_nothing_and_offers_to_start(
        alice: Person, bob: Person, room_id: int) -> None:
    rooms_before = await Room.all().count()

    response = await alice.get("/dm/bob")

    html = await response.get_data()
    form = select_one(html, ".start-conversation form")
    assert response.status_code == 200
    assert (form["method"], form["action"]) == ("post", "/dm")
    assert select_one(str(form), "input[name=username]")["value"] == "bob"
    assert "has not used Parley with JavaScript yet" in select_one(html, ".notice").text
    assert await Room.all().count() == rooms_before
    assert await Delivery.emails().count() == 0


async def test_starting_makes_one_direct_room_and_dm_bob_redirects_to_it(
        alice: Person, bob: Person, keys: dict[str, int]) -> None:
    first = await start_direct(alice, "bob")
    again = await start_direct(bob, "alice")

    response = await alice.get("/dm/bob")

    room = await Room.get(id=first)
    assert first == again
    assert (room.kind, room.name, room.owner_id) == (RoomKind.DIRECT, "", alice.user_id)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/rooms/{first}"
    assert sorted(await Membership.filter(room_id=first).values_list("user_id", flat=True)) == \
        sorted([alice.user_id, bob.user_id])


async def test_the_direct_room_page_has_a_sealed_composer_with_no_plaintext_field(
        alice: Person, direct: int) -> None:
    response = await alice.get(f"/rooms/{direct}")

    html = await response.get_data()
    composer = select_one(html, "form#composer")
    assert response.status_code == 200
    assert composer["data-sealed"] == "true"
    assert not select_one(str(composer), "textarea").has_attr("name")
    assert select(str(composer), "input[type=file]") == []
    assert select_one(html, ".room.direct h1").text.strip() == "Private: bob"
    assert "needs\n    JavaScript" in select_one(html, ".e2e-panel noscript").text
    assert select(html, ".room-tools") == []  # no search or export links
    assert select(html, "input[type=password][name]") == []


async def test_a_stranger_gets_404_for_the_room_its_messages_keys_and_sending(
        alice: Person, bob: Person, mallory: Person, keys: dict[str, int], direct: int) -> None:
    await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]])

    statuses = [(await mallory.get(path)).status_code for path in (
        f"/rooms/{direct}", f"/rooms/{direct}/messages?after=0", f"/rooms/{direct}/keys")]
    post = await mallory.post(f"/rooms/{direct}/messages", sealed_form(1, [1, 2]))
    add = await mallory.post(f"/rooms/{direct}/members", {"username": "mallory"})
    # Anyone on the instance may write to bob, but only in a conversation of their own.
    own = [await mallory.get(path) for path in ("/dm/bob", "/dm/alice")]

    assert statuses == [404] * 3
    assert post.status_code == add.status_code == 404
    assert [r.status_code for r in own] == [200, 200]
    for response in own:
        assert f"/rooms/{direct}" not in await response.get_data(as_text=True)
    assert await Message.filter(room_id=direct).count() == 1


async def test_sending_stores_the_envelope_numbered_in_the_room(
        alice: Person, bob: Person, keys: dict[str, int], direct: int) -> None:
    form = sealed_form(keys["alice"], [keys["alice"], keys["bob"]],
                       client_msg_id="first-0000000001")

    response = await alice.post(f"/rooms/{direct}/messages", form, htmx=True)
    await send(bob, direct, keys["bob"], [keys["bob"], keys["alice"]])

    article = select_one(await response.get_data(), "article.message.sealed")
    stored = await Message.get(client_msg_id="first-0000000001")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert (article["id"], article["data-seq"]) == ("message-first-0000000001", "1")
    assert json.loads(article["data-envelope"]) == json.loads(form["envelope"]) == stored.envelope
    assert select_one(str(article), ".body").text == "Encrypted message"
    assert stored.body == ""
    assert [m.seq for m in await Message.filter(room_id=direct).order_by("seq")] == [1, 2]


async def test_a_post_without_an_envelope_says_javascript_is_needed(
        alice: Person, keys: dict[str, int], direct: int) -> None:
    response = await alice.post(f"/rooms/{direct}/messages",
                                {"client_msg_id": "nojs-00000000001", "body": "plain words"})

    assert response.status_code == 400
    assert "needs JavaScript" in select_one(await response.get_data(), "#composer-error").text
    assert await Message.filter(room_id=direct).count() == 0


async def test_the_same_client_msg_id_sends_once(alice: Person, keys: dict[str, int],
                                                 direct: int) -> None:
    form = sealed_form(keys["alice"], [keys["alice"], keys["bob"]])

    first = await alice.post(f"/rooms/{direct}/messages", form, htmx=True)
    second = await alice.post(f"/rooms/{direct}/messages", form, htmx=True)

    assert await Message.filter(room_id=direct).count() == 1
    assert await first.get_data() == await second.get_data()


MALFORMED = [
    {"ciphertext": b64url(os.urandom(16))},
    {"ciphertext": b64url(os.urandom(64 * 1024 + 1))},
    {"ciphertext": "hello world, in plain text"},
    {"iv": b64url(os.urandom(11))},
    {"sender_key": "x"},
    {"v": 1},
    {"keys": "all of them"},
]


async def test_each_malformed_envelope_is_refused(alice: Person, keys: dict[str, int],
                                                  direct: int) -> None:
    both = [keys["alice"], keys["bob"]]
    forms = []
    for n, bad in enumerate(MALFORMED):
        envelope = {**sealed_envelope(keys["alice"], both), **bad}
        forms.append({"client_msg_id": f"malformed-{n:06d}", "envelope": json.dumps(envelope)})
    forms.append({"client_msg_id": "not-json-0000001", "envelope": "{not json"})
    forms.append(sealed_form(keys["alice"], [keys["alice"], keys["alice"]]))  # twice for one key
    bad_entry = sealed_envelope(keys["alice"], both)
    bad_entry["keys"][1]["sealed"] = b64url(os.urandom(47))
    forms.append({"client_msg_id": "short-sealed-001", "envelope": json.dumps(bad_entry)})

    statuses = [(await alice.post(f"/rooms/{direct}/messages", f, htmx=True)).status_code
                for f in forms]

    assert statuses == [422] * len(forms)
    assert await Message.filter(room_id=direct).count() == 0


async def test_a_message_for_a_members_old_key_is_refused_and_asks_to_recheck_keys(
        alice: Person, bob: Person, keys: dict[str, int], direct: int) -> None:
    await publish_key(bob)

    response = await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]])

    assert response.status_code == 422
    assert response.headers["HX-Trigger"] == "parley:keys-changed"
    assert "new key" in select_one(await response.get_data(), "p").text
    assert (await Room.get(id=direct)).last_seq == 0


async def test_a_message_cannot_claim_someone_elses_key_as_the_senders(
        alice: Person, keys: dict[str, int], direct: int) -> None:
    response = await send(alice, direct, keys["bob"], [keys["alice"], keys["bob"]])

    assert response.status_code == 422
    assert await Message.filter(room_id=direct).count() == 0


async def test_sending_before_a_member_has_a_key_says_who_is_missing(
        alice: Person, bob: Person, room_id: int) -> None:
    mine = await publish_key(alice)
    direct = await start_direct(alice, "bob")

    response = await send(alice, direct, mine, [mine, mine + 1000])

    assert response.status_code == 422
    assert "bob has no key yet" in select_one(await response.get_data(), "p").text


async def test_catch_up_returns_sealed_fragments_in_order(
        alice: Person, bob: Person, keys: dict[str, int], direct: int) -> None:
    for n in range(1, 8):
        sender = alice if n % 2 else bob
        mine = keys[sender.username]
        await send(sender, direct, mine, [keys["alice"], keys["bob"]])

    after = await (await bob.get(f"/rooms/{direct}/messages?after=4")).get_data()

    assert [m["data-seq"] for m in select(after, ".message.sealed")] == ["5", "6", "7"]


async def test_the_sidebar_lists_my_direct_rooms_with_unread_counts_until_opened(
        alice: Person, bob: Person, keys: dict[str, int], direct: int) -> None:
    for _ in range(3):
        await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]])

    before = await (await bob.get("/rooms")).get_data()
    await bob.post(f"/rooms/{direct}/read-marker")
    after = await (await bob.get("/rooms")).get_data()
    senders_view = await (await alice.get("/rooms")).get_data()

    unread = f"#sidebar-direct #room-{direct}-unread"
    assert select_one(before, "#sidebar-direct .room-name").text.strip() == "Private: alice"
    assert select_one(before, unread).text == "3"
    assert select_one(after, unread).text == ""
    assert select_one(senders_view, unread).text == ""
    assert select(before, f".sidebar .room-links a[href='/rooms/{direct}']") != []
    assert len(select(before, f"a[href='/rooms/{direct}'] .unread")) == 1  # not under "My rooms"


async def test_new_message_offers_every_active_person_and_starts_a_group(
        app: Quart, alice: Person, bob: Person, mallory: Person, room_id: int) -> None:
    carol, gone = Person(app, "carol"), Person(app, "gone")
    for person in (carol, gone):
        await person.sign_up()
    await User.filter(username_key="gone").update(deactivated_at=datetime.now(UTC))
    await create_webhook(await Room.get(id=room_id), await User.get(username_key="alice"), "CI")

    page = await (await alice.get("/dm")).get_data()
    response = await alice.post("/dm", {"username": ["bob", "carol"]})

    room_id_ = int(response.headers["Location"].rsplit("/", 1)[-1])
    choices = [i["value"] for i in select(page, ".people-picker input[type=checkbox]")]
    # mallory shares no room with alice; no bot, no deactivated account, never alice herself.
    assert choices == ["bob", "carol", "mallory"]
    assert response.status_code == 303
    assert await Membership.filter(room_id=room_id_).count() == 3
    assert await start_direct(alice, "bob", "carol") != room_id_  # groups always start afresh


async def test_new_message_refuses_deactivated_accounts_unknown_names_and_nobody_alike(
        alice: Person, mallory: Person, room_id: int) -> None:
    await User.filter(username_key="alice").update(deactivated_at=datetime.now(UTC))
    rooms_before = await Room.all().count()

    deactivated = await mallory.post("/dm", {"username": "alice"})
    unknown = await mallory.post("/dm", {"username": "nobody"})
    nobody = await mallory.post("/dm", {})

    assert deactivated.status_code == unknown.status_code == nobody.status_code == 400
    assert select_one(await deactivated.get_data(), "#username-error").text == \
        select_one(await unknown.get_data(), "#username-error").text
    assert await Room.all().count() == rooms_before


async def test_a_member_adds_someone_up_to_eight_people(app: Quart, alice: Person, bob: Person,
                                                         room_id: int) -> None:
    people = []
    for n in range(7):
        person = Person(app, f"user{n}")
        await person.sign_up()
        await person.join(room_id)
        people.append(person)
    direct = await start_direct(alice, "bob")

    for person in people[:6]:
        added = await bob.post(f"/rooms/{direct}/members", {"username": person.username})
        assert added.status_code == 303
    ninth = await bob.post(f"/rooms/{direct}/members", {"username": people[6].username})

    assert ninth.status_code == 303
    assert await Membership.filter(room_id=direct).count() == 8
    page = await (await bob.get(f"/rooms/{direct}")).get_data()
    assert "at most 8 people" in select_one(page, ".flashes").text


async def test_people_cannot_be_added_to_a_public_room_this_way_nor_invited_to_a_direct_one(
        alice: Person, bob: Person, room_id: int, keys: dict[str, int], direct: int) -> None:
    add = await alice.post(f"/rooms/{room_id}/members", {"username": "bob"})
    invite = await alice.post(f"/rooms/{direct}/invitations", {"username": "bob"})
    join = await alice.post(f"/rooms/{direct}/membership")

    assert add.status_code == invite.status_code == 403
    assert join.status_code == 303  # already a member: back to the room, nothing changes


async def test_a_late_member_is_told_earlier_messages_are_not_available(
        app: Quart, alice: Person, bob: Person, room_id: int, keys: dict[str, int],
        direct: int) -> None:
    carol = Person(app, "carol")
    await carol.sign_up()
    await carol.join(room_id)
    await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]])

    await bob.post(f"/rooms/{direct}/members", {"username": "carol"})
    carols = await (await carol.get(f"/rooms/{direct}")).get_data()
    bobs = await (await bob.get(f"/rooms/{direct}")).get_data()

    assert "Earlier messages are not available to you" in select_one(carols, ".earlier-hidden").text
    assert select(bobs, ".earlier-hidden") == []


async def test_export_refuses_a_direct_room(alice: Person, keys: dict[str, int],
                                            direct: int) -> None:
    await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]])

    html = await alice.get(f"/rooms/{direct}/export.html")
    as_json = await alice.get(f"/rooms/{direct}/export.json")

    assert html.status_code == as_json.status_code == 403
    assert "end-to-end encrypted" in (await html.get_data(as_text=True))


async def test_members_delete_only_their_own_messages_and_cannot_edit_sealed_ones(
        alice: Person, bob: Person, keys: dict[str, int], direct: int) -> None:
    await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]],
               client_msg_id="alices-000000001")
    message = await Message.get(client_msg_id="alices-000000001")
    path = f"/rooms/{direct}/messages/{message.id}"

    edit = await alice.post(path, {"body": "plain"})
    by_bob = await bob.post(path + "/deletion")
    by_alice = await alice.post(path + "/deletion")

    deleted = await Message.get(id=message.id)
    assert edit.status_code == by_bob.status_code == 403
    assert by_alice.status_code == 303
    assert deleted.deleted_at is not None and deleted.envelope is None


async def test_reactions_work_in_a_direct_room(alice: Person, bob: Person, keys: dict[str, int],
                                               direct: int) -> None:
    await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]],
               client_msg_id="react-me-0000001")
    message = await Message.get(client_msg_id="react-me-0000001")

    response = await bob.post(f"/rooms/{direct}/messages/{message.id}/reactions",
                              {"emoji": "👍"}, htmx=True)

    assert response.status_code == 200
    assert select_one(await response.get_data(), ".reaction")["data-reactor-ids"] == \
        str(bob.user_id)


async def test_starting_with_someone_who_has_no_key_queues_one_private_request(
        alice: Person, bob: Person, room_id: int) -> None:
    await publish_key(alice)

    await start_direct(alice, "bob")
    await start_direct(alice, "bob")

    rows = await Delivery.emails().filter(user_id=bob.user_id)
    assert [(r.kind, r.actor_id) for r in rows] == [
        (NotificationKind.PRIVATE_REQUEST, alice.user_id)]
    assert await Delivery.emails().filter(user_id=alice.user_id).count() == 0


async def test_the_sealed_fragment_renders_without_a_viewer(app: Quart, alice: Person,
                                                            keys: dict[str, int],
                                                            direct: int) -> None:
    await send(alice, direct, keys["alice"], [keys["alice"], keys["bob"]])
    message = await message_for_display((await Message.get(room_id=direct)).id)

    async with app.app_context():
        html = await render_fragment("messages/_message.html", message=message)

    assert select_one(html, ".message.sealed .body").text == "Encrypted message"
    assert json.loads(select_one(html, ".message")["data-envelope"]) == message.envelope
    assert select_one(html, ".manage").text == "Delete"
