"""Involvement in a room (everything, mentions only, nothing, invisible): one setting for the
sidebar badge, the e-mail and push outbox rows, and whether the room is listed at all."""

from __future__ import annotations

from app.models import Delivery, Involvement, Membership, NotificationKind
from tests.helpers import Person, publish_key, sealed_form, select, select_one, start_direct
from tests.live import frame_matching, registered, socket
from tests.pushservice import BrowserKeys, PushService


async def involve(person: Person, room_id: int, involvement: str) -> None:
    response = await person.post(f"/rooms/{room_id}/involvement", {"involvement": involvement})
    assert response.status_code == 303, await response.get_data(as_text=True)


async def sidebar(person: Person) -> bytes:
    return await (await person.get("/rooms")).get_data()


async def subscribe(person: Person, service: PushService) -> None:
    response = await person.post("/push/subscriptions", BrowserKeys().form(service.endpoint("phone")))
    assert response.status_code == 201


async def test_everything_counts_every_unread_message(alice: Person, bob: Person,
                                                      room_id: int) -> None:
    await involve(bob, room_id, "everything")

    await alice.say(room_id, "lunch?")
    await alice.say(room_id, "@bob you too")

    assert select_one(await sidebar(bob), f"#room-{room_id}-unread .count").text == "2"


async def test_mentions_only_counts_mentions_and_marks_other_unread_quietly(
        alice: Person, bob: Person, room_id: int) -> None:
    await involve(bob, room_id, "mentions")

    await alice.say(room_id, "lunch?")
    quiet = await sidebar(bob)
    await alice.say(room_id, "@bob you too")
    await alice.say(room_id, "and @bob again")
    counted = await sidebar(bob)

    assert select(quiet, f"#room-{room_id}-unread .count") == []
    assert "quiet" in select_one(quiet, f"#room-{room_id}-unread")["class"]
    assert select_one(counted, f"#room-{room_id}-unread .count").text == "2"


async def test_nothing_shows_no_badge_but_keeps_the_room_listed(alice: Person, bob: Person,
                                                                room_id: int) -> None:
    await involve(bob, room_id, "nothing")

    await alice.say(room_id, "@bob lunch?")
    html = await sidebar(bob)

    assert select_one(html, f"#sidebar-rooms a[data-room-id='{room_id}']")
    assert select_one(html, f"#room-{room_id}-unread").text == ""


async def test_invisible_leaves_the_sidebar_until_the_room_is_opened(alice: Person, bob: Person,
                                                                     room_id: int) -> None:
    response = await bob.post(f"/rooms/{room_id}/involvement", {"involvement": "invisible"})
    hidden = await sidebar(bob)
    await bob.get(f"/rooms/{room_id}")
    shown = await sidebar(bob)

    assert response.status_code == 303
    assert response.headers["Location"] == "/rooms"  # not the room: opening it would show it
    assert select(hidden, f"#sidebar-rooms a[data-room-id='{room_id}']") == []
    assert select_one(hidden, f".hidden-rooms a[data-room-id='{room_id}']")
    assert select_one(shown, f"#sidebar-rooms a[data-room-id='{room_id}']")
    assert select(shown, ".hidden-rooms") == []
    membership = await Membership.get(room_id=room_id, user_id=bob.user_id)
    assert membership.involvement == Involvement.MENTIONS


async def test_a_live_badge_follows_the_involvement(alice: Person, bob: Person,
                                                    room_id: int) -> None:
    await involve(bob, room_id, "mentions")
    async with socket(bob) as rooms_page:
        await registered(bob)

        await alice.say(room_id, "lunch?")
        quiet = await frame_matching(rooms_page, f"#room-{room_id}-unread")
        await alice.say(room_id, "@bob you too")
        counted = await frame_matching(rooms_page, f"#room-{room_id}-unread")

    assert select(quiet, ".count") == []
    assert select_one(counted, ".count").text == "1"


async def test_email_rows_follow_the_involvement(alice: Person, bob: Person, room_id: int) -> None:
    carol, dave = Person(alice.app, "carol"), Person(alice.app, "dave")
    for person, involvement in ((carol, "everything"), (dave, "nothing"), (bob, "mentions")):
        if person is not bob:
            await person.sign_up()
            await person.post(f"/rooms/{room_id}/membership")
        await involve(person, room_id, involvement)

    await alice.say(room_id, "plain news")
    await alice.say(room_id, "@bob @carol @dave look")

    rows = {(r.user_id, r.kind) for r in await Delivery.emails().filter(room_id=room_id)}
    assert rows == {(carol.user_id, NotificationKind.ROOM_MESSAGE),
                    (carol.user_id, NotificationKind.MENTION),
                    (bob.user_id, NotificationKind.MENTION)}


async def test_push_rows_follow_the_involvement(alice: Person, bob: Person, room_id: int,
                                                push_service: PushService) -> None:
    await subscribe(bob, push_service)

    await involve(bob, room_id, "everything")
    await alice.say(room_id, "plain news")
    await involve(bob, room_id, "nothing")
    await alice.say(room_id, "@bob muted now")

    [row] = await Delivery.pushes().filter(user_id=bob.user_id)
    assert row.kind == NotificationKind.ROOM_MESSAGE


async def test_a_private_conversation_set_to_nothing_writes_no_rows(
        alice: Person, bob: Person, room_id: int, push_service: PushService) -> None:
    await subscribe(bob, push_service)
    keys = [await publish_key(alice), await publish_key(bob)]
    direct = await start_direct(alice, "bob")
    await involve(bob, direct, "nothing")

    response = await alice.post(f"/rooms/{direct}/messages", sealed_form(keys[0], keys))

    assert response.status_code == 303
    assert not await Delivery.emails().filter(user_id=bob.user_id, room_id=direct).exists()
    assert not await Delivery.pushes().filter(user_id=bob.user_id).exists()


async def test_an_unknown_involvement_changes_nothing(alice: Person, bob: Person,
                                                      room_id: int) -> None:
    response = await bob.post(f"/rooms/{room_id}/involvement", {"involvement": "loud"})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#involvement-error").text.startswith("Choose")
    membership = await Membership.get(room_id=room_id, user_id=bob.user_id)
    assert membership.involvement == Involvement.MENTIONS


async def test_changing_involvement_needs_the_csrf_token(alice: Person, bob: Person,
                                                         room_id: int) -> None:
    response = await bob.client.post(f"/rooms/{room_id}/involvement",
                                      form={"involvement": "nothing"})

    assert response.status_code == 403
    membership = await Membership.get(room_id=room_id, user_id=bob.user_id)
    assert membership.involvement == Involvement.MENTIONS


async def test_an_outsider_cannot_change_anyones_involvement(alice: Person, bob: Person,
                                                             mallory: Person, room_id: int,
                                                             private_room: int) -> None:
    public = await mallory.post(f"/rooms/{room_id}/involvement", {"involvement": "nothing"})
    private = await mallory.post(f"/rooms/{private_room}/involvement", {"involvement": "nothing"})

    assert public.status_code == 403
    assert private.status_code == 404
    assert await Membership.filter(involvement=Involvement.NOTHING).count() == 0


async def test_the_header_menu_offers_involvement_without_javascript(alice: Person, bob: Person,
                                                                     room_id: int) -> None:
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()

    form = select_one(page, ".room-header details.room-menu form.involvement-form")
    assert form["method"] == "post" and form["action"] == f"/rooms/{room_id}/involvement"
    assert select_one(str(form), "input[name=csrf_token]")["value"]
    checked = select_one(str(form), "input[name=involvement][checked]")
    assert checked["value"] == "mentions"
    assert len(select(page, ".room-header")) == 1
