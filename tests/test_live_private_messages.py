"""Private conversations are live too: ciphertext fragments and typing reach only the two."""

from __future__ import annotations

from app.models import Conversation
from tests.helpers import Person, envelope_form, publish_key, select_one
from tests.live import frame_matching, registered


async def _conversation(alice: Person, bob: Person) -> tuple[int, dict[str, int]]:
    keys = {"alice": await publish_key(alice), "bob": await publish_key(bob)}
    await alice.get("/dm/bob")
    low, high = sorted((alice.user_id, bob.user_id))
    return (await Conversation.get(low_user_id=low, high_user_id=high)).id, keys


def _dm_socket(person: Person, conversation_id: int):  # type: ignore[no-untyped-def]
    return person.client.websocket(f"/ws?conversation={conversation_id}")


async def test_a_private_message_is_pushed_to_the_recipient_as_ciphertext(
        alice: Person, bob: Person, room_id: int) -> None:
    conversation_id, keys = await _conversation(alice, bob)
    form = envelope_form(keys["alice"], keys["bob"])
    async with _dm_socket(bob, conversation_id) as ws:
        await registered(bob)

        await alice.post("/dm/bob/messages", form, htmx=True)

        frame = await frame_matching(ws, ".dm-message")
    wrapper = select_one(frame, f"#conversation-{conversation_id}-messages")
    article = select_one(frame, ".dm-message")
    assert wrapper["hx-swap-oob"] == "beforeend"
    assert article["data-ciphertext"] == form["ciphertext"]
    assert article["data-author-id"] == str(alice.user_id)
    assert select_one(frame, ".body").text == "Encrypted message"


async def test_an_outsider_cannot_listen_to_a_conversation(alice: Person, bob: Person,
                                                           mallory: Person, room_id: int) -> None:
    conversation_id, keys = await _conversation(alice, bob)
    registry = mallory.app.extensions["realtime"].registry
    async with _dm_socket(mallory, conversation_id):
        await registered(mallory)
        conn = next(iter(registry.by_user[mallory.user_id]))

    assert conn.conversation_id is None and conn.peer_id is None


async def test_typing_in_a_conversation_shows_to_the_other_only(alice: Person, bob: Person,
                                                                room_id: int) -> None:
    conversation_id, _ = await _conversation(alice, bob)
    async with _dm_socket(alice, conversation_id) as alice_ws, \
            _dm_socket(bob, conversation_id) as bob_ws:
        await registered(alice)
        await registered(bob)

        await alice_ws.send('{"type": "typing"}')
        shown = await frame_matching(bob_ws, f"#conversation-{conversation_id}-typing")

    assert select_one(shown, ".typing").text == "alice is typing…"
