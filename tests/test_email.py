"""E-mail to offline users: who gets one, when, what it says, and how to stop it."""

from __future__ import annotations

import json

from app.models import Delivery, Message, NotificationStatus, Room, User
from tests.helpers import Person, publish_key, sealed_form, select, select_one, start_direct
from tests.live import registered, socket
from tests.mailbox import SmtpServer, eventually, hold_mail


async def dm(sender: Person, room: int, sender_key: int, member_keys: list[int]) -> dict[str, str]:
    form = sealed_form(sender_key, member_keys)
    response = await sender.post(f"/rooms/{room}/messages", form)
    assert response.status_code == 303, await response.get_data(as_text=True)
    return form


async def direct_with_keys(alice: Person, bob: Person) -> tuple[int, int, list[int]]:
    """alice's conversation with bob, both with a key: (room, alice's key, both keys)."""
    keys = [await publish_key(alice), await publish_key(bob)]
    return await start_direct(alice, "bob"), keys[0], keys


async def settled(user_id: int | None) -> None:
    """Wait until the sender has dealt with every outbox row of the user."""
    await eventually(lambda: _nothing_pending(user_id))


async def _nothing_pending(user_id: int | None) -> bool:
    return not await Delivery.emails().filter(user_id=user_id, status=NotificationStatus.PENDING).exists()


async def test_offline_bob_gets_one_email_for_three_private_messages(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    room, mine, keys = await direct_with_keys(alice, bob)

    forms = [await dm(alice, room, mine, keys) for _ in range(3)]
    await settled(bob.user_id)

    [mail] = smtp.inbox.to("bob@example.com")
    assert mail.message["Subject"] == "alice sent you 3 private messages"
    assert f"http://parley.test/rooms/{room}" in mail.text
    for form in forms:  # neither the ciphertext nor anything else of the envelope
        envelope = json.loads(form["envelope"])
        for part in (envelope["ciphertext"], envelope["iv"], envelope["keys"][1]["sealed"]):
            assert part not in mail.message.as_string()


async def test_a_private_message_email_never_holds_the_content(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    room, mine, keys = await direct_with_keys(alice, bob)

    form = await dm(alice, room, mine, keys)
    await settled(bob.user_id)

    [mail] = smtp.inbox.to("bob@example.com")
    assert select_one(mail.html, ".item.direct_message a").text.strip() == \
        "alice sent you a private message"
    assert not select(mail.html, ".excerpt")
    assert json.loads(form["envelope"])["ciphertext"] not in mail.message.as_string()


async def test_someone_with_no_key_is_emailed_once_that_alice_wants_to_talk_privately(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    await publish_key(alice)

    room = await start_direct(alice, "bob")
    await settled(bob.user_id)
    await start_direct(alice, "bob")  # the same conversation again: no second e-mail
    await settled(bob.user_id)

    [mail] = smtp.inbox.to("bob@example.com")
    assert mail.message["Subject"] == "alice wants to talk privately"
    assert f"http://parley.test/rooms/{room}" in mail.text
    assert smtp.inbox.to("alice@example.com") == []


async def test_online_bob_gets_no_email(alice: Person, bob: Person, room_id: int,
                                        smtp: SmtpServer) -> None:
    room, mine, keys = await direct_with_keys(alice, bob)

    async with socket(bob):
        await registered(bob)
        await dm(alice, room, mine, keys)
        await alice.say(room_id, "hey @bob")

    # No outbox row, so nothing can ever be sent: the rows are written with the message.
    assert not await Delivery.emails().filter(user_id=bob.user_id).exists()
    assert smtp.inbox.received == []


async def test_bob_who_comes_online_before_the_period_ends_gets_none(
        app, alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    release = hold_mail(app)
    await alice.say(room_id, "hey @bob")

    async with socket(bob):
        await registered(bob)
        release()
        await settled(bob.user_id)

    assert await Delivery.emails().get(user_id=bob.user_id).values_list("status", flat=True) == \
        NotificationStatus.SKIPPED
    assert smtp.inbox.received == []


async def test_bob_reading_the_conversation_before_the_period_ends_gets_none(
        app, alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    room, mine, keys = await direct_with_keys(alice, bob)
    release = hold_mail(app)
    await dm(alice, room, mine, keys)

    assert (await bob.get(f"/rooms/{room}")).status_code == 200
    # what the page then does: the GET writes nothing, the page posts its read marker
    assert (await bob.post(f"/rooms/{room}/read-marker")).status_code == 303
    release()
    await settled(bob.user_id)

    assert smtp.inbox.received == []


async def test_a_mention_emails_the_mentioned_member_with_an_escaped_excerpt(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    await alice.say(room_id, "@bob look at <b>this</b> & that")
    await settled(bob.user_id)

    [mail] = smtp.inbox.to("bob@example.com")
    assert mail.message["Subject"] == "alice mentioned you in general"
    assert select_one(mail.html, ".excerpt").text == "@bob look at <b>this</b> & that"
    assert "<b>this</b>" not in mail.html  # escaped, not markup
    assert select_one(mail.html, ".item.mention a")["href"] == f"http://parley.test/rooms/{room_id}"
    assert mail.message["List-Unsubscribe"].strip().startswith("<http://parley.test/unsubscribe/")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_a_plain_room_message_emails_nobody(alice: Person, bob: Person, room_id: int,
                                                  smtp: SmtpServer) -> None:
    await alice.say(room_id, "hello everyone")

    assert not await Delivery.emails().exists()  # written with the message: no row, no e-mail
    assert smtp.inbox.received == []


async def test_every_message_setting_emails_plain_messages(alice: Person, bob: Person,
                                                           room_id: int, smtp: SmtpServer) -> None:
    response = await bob.post(f"/rooms/{room_id}/notifications", {"email_mode": "all"})
    assert response.status_code == 303

    await alice.say(room_id, "hello everyone")
    await settled(bob.user_id)

    [mail] = smtp.inbox.to("bob@example.com")
    assert mail.message["Subject"] == "alice wrote in general"


async def test_an_unknown_room_email_mode_is_refused(alice: Person, bob: Person, room_id: int) -> None:
    response = await bob.post(f"/rooms/{room_id}/notifications", {"email_mode": "loud"})

    assert response.status_code == 400
    assert "Choose mentions" in select_one(await response.get_data(), "#email_mode-error").text


async def test_after_one_email_about_a_room_none_until_the_member_visits_it(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    await alice.say(room_id, "@bob first")
    await settled(bob.user_id)
    await alice.say(room_id, "@bob second")
    assert await Delivery.emails().filter(user_id=bob.user_id).count() == 1  # no row for "second"
    assert len(smtp.inbox.to("bob@example.com")) == 1

    assert (await bob.get(f"/rooms/{room_id}")).status_code == 200
    # what the page then does: the GET writes nothing, the page posts its read marker
    assert (await bob.post(f"/rooms/{room_id}/read-marker")).status_code == 303
    await alice.say(room_id, "@bob third")
    await settled(bob.user_id)

    assert len(smtp.inbox.to("bob@example.com")) == 2


async def test_a_deleted_message_is_left_out(app, alice: Person, bob: Person, room_id: int,
                                             smtp: SmtpServer) -> None:
    release = hold_mail(app)
    await alice.say(room_id, "@bob oops")

    await Message.filter(room_id=room_id).delete()
    release()
    await settled(bob.user_id)

    assert smtp.inbox.received == []


async def test_a_message_deleted_by_its_author_is_left_out(app, alice: Person, bob: Person,
                                                           room_id: int, smtp: SmtpServer) -> None:
    release = hold_mail(app)
    await alice.say(room_id, "@bob oops, wrong room")
    message = await Message.get(room_id=room_id)

    deleted = await alice.post(f"/rooms/{room_id}/messages/{message.id}/deletion")
    release()
    await settled(bob.user_id)

    assert deleted.status_code == 303
    assert smtp.inbox.received == []


async def test_an_edited_message_is_e_mailed_with_its_current_text(
        app, alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    release = hold_mail(app)
    await alice.say(room_id, "@bob lunch at noon")
    message = await Message.get(room_id=room_id)

    await alice.post(f"/rooms/{room_id}/messages/{message.id}", {"body": "@bob lunch at one"})
    release()
    await settled(bob.user_id)

    [mail] = smtp.inbox.to("bob@example.com")
    assert "lunch at one" in mail.text and "noon" not in mail.text


async def test_an_offline_invitee_gets_an_email(alice: Person, bob: Person, smtp: SmtpServer) -> None:
    room = await alice.create_room("secret plans", visibility="private")

    await alice.invite(room, "bob")
    await settled(bob.user_id)

    [mail] = smtp.inbox.to("bob@example.com")
    assert mail.message["Subject"] == "alice invited you to the room secret plans"


async def test_the_unsubscribe_link_works_without_login_and_stops_further_mail(
        app, alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    await alice.say(room_id, "@bob hi")
    await settled(bob.user_id)
    link = select_one(smtp.inbox.to("bob@example.com")[0].html, "a.unsubscribe")["href"]
    path = link.removeprefix("http://parley.test")
    stranger = Person(app, "stranger")  # not logged in, no CSRF token: like a mail provider

    page = await stranger.get(path)
    assert select_one(await page.get_data(), f"form[action='{path}'] button")
    assert (await User.get(id=bob.user_id)).email_notifications  # GET changes nothing
    response = await stranger.client.post(path, form={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert not (await User.get(id=bob.user_id)).email_notifications
    await bob.post(f"/rooms/{room_id}/read-marker")
    await alice.say(room_id, "@bob again")
    assert not await Delivery.emails().filter(user_id=bob.user_id, status=NotificationStatus.PENDING).exists()
    assert len(smtp.inbox.to("bob@example.com")) == 1


async def test_the_mute_link_stops_mail_about_that_room_only(
        app, alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    await alice.say(room_id, "@bob hi")
    await settled(bob.user_id)
    link = select_one(smtp.inbox.to("bob@example.com")[0].html, "a.mute")["href"]

    response = await Person(app, "stranger").client.post(link.removeprefix("http://parley.test"))

    assert response.status_code == 200
    assert "general" in select_one(await response.get_data(), ".result").text
    assert (await User.get(id=bob.user_id)).email_notifications
    await bob.post(f"/rooms/{room_id}/read-marker")
    await alice.say(room_id, "@bob again")
    assert not await Delivery.emails().filter(user_id=bob.user_id, status=NotificationStatus.PENDING).exists()
    assert len(smtp.inbox.to("bob@example.com")) == 1


async def test_a_forged_unsubscribe_link_is_not_found(app, bob: Person) -> None:
    stranger = Person(app, "stranger")

    assert (await stranger.get("/unsubscribe/WzEsbnVsbF0.forged")).status_code == 404
    assert (await stranger.client.post("/unsubscribe/WzEsbnVsbF0.forged")).status_code == 404


async def test_line_breaks_in_a_room_name_cannot_inject_headers(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    # The room form collapses whitespace; a row written some other way must still be harmless.
    await Room.filter(id=room_id).update(name="general\r\nBcc: mallory@example.com\r\nX-Evil: 1")

    await alice.say(room_id, "@bob hi")
    await settled(bob.user_id)

    [mail] = smtp.inbox.received
    assert mail.rcpt_tos == ["bob@example.com"]
    assert mail.message["Bcc"] is None and mail.message["X-Evil"] is None
    assert mail.message["Subject"] == \
        "alice mentioned you in general Bcc: mallory@example.com X-Evil: 1"


async def test_turning_notifications_off_on_the_profile_stops_email(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    response = await bob.post("/profile/notifications", {"delay": "300"})
    assert response.status_code == 303
    assert (await User.get(id=bob.user_id)).notify_delay_seconds == 300

    await alice.say(room_id, "@bob hi")

    assert not await Delivery.emails().filter(user_id=bob.user_id).exists()  # no row: nothing to send
    assert smtp.inbox.received == []


async def test_the_profile_refuses_a_batching_period_it_does_not_offer(bob: Person) -> None:
    response = await bob.post("/profile/notifications",
                              {"email_notifications": "on", "delay": "1"})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#delay-error")
    assert (await User.get(id=bob.user_id)).notify_delay_seconds is None


async def test_a_longer_batching_period_on_the_profile_waits_longer(
        alice: Person, bob: Person, mallory: Person, room_id: int, smtp: SmtpServer) -> None:
    await bob.post("/profile/notifications", {"email_notifications": "on", "delay": "60"})
    await mallory.join(room_id)

    await alice.say(room_id, "@bob @mallory hi")
    # mallory keeps the server's period: once her e-mail is out, bob's would be too without his.
    await settled(mallory.user_id)

    assert [r.rcpt_tos for r in smtp.inbox.received] == [["mallory@example.com"]]
    assert await Delivery.emails().filter(user_id=bob.user_id, status=NotificationStatus.PENDING).exists()


async def test_a_mention_is_highlighted_the_same_for_every_viewer(
        alice: Person, bob: Person, mallory: Person, room_id: int) -> None:
    await alice.say(room_id, "ping @bob and @Mallory. not an@email.com")

    pages = [await (await p.get(f"/rooms/{room_id}")).get_data() for p in (alice, bob)]

    for page in pages:
        mentions = select(page, ".message .body .mention")
        assert [(m.text, m["data-username"]) for m in mentions] == \
            [("@bob", "bob"), ("@Mallory", "mallory")]


async def test_the_sender_sees_that_an_offline_peer_will_get_an_email(
        alice: Person, bob: Person, room_id: int) -> None:
    room = await start_direct(alice, "bob")

    page = await (await alice.get(f"/rooms/{room}")).get_data()

    assert select_one(page, ".offline-note").text.startswith("bob is offline — they will get an e-mail")


async def test_no_offline_note_while_the_peer_is_online(alice: Person, bob: Person,
                                                       room_id: int) -> None:
    room = await start_direct(alice, "bob")
    async with socket(bob):
        await registered(bob)
        page = await (await alice.get(f"/rooms/{room}")).get_data()

    assert not select(page, ".offline-note")
