"""E-mail verification: a signed, single-use link; notifications only to confirmed addresses."""

from __future__ import annotations

from datetime import timedelta

from quart import Quart

from app.actions.messages import create_message
from app.models import Delivery, NotificationKind, Room, User
from tests.helpers import Person, select, select_one
from tests.mailbox import SmtpServer, eventually

PASSWORD = "correct horse battery"


async def _link_in_mail(smtp: SmtpServer, address: str) -> str:
    await eventually(lambda: smtp.inbox.to(address))
    [mail] = smtp.inbox.to(address)
    assert mail.message["Subject"] == "Confirm your e-mail address for Parley"
    return select_one(mail.html, "a.verify")["href"].removeprefix("http://parley.test")


async def test_a_new_address_gets_a_single_use_link(app: Quart, alice: Person,
                                                    smtp: SmtpServer) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    path = await _link_in_mail(smtp, "carol@example.com")
    stranger = Person(app, "anyone")  # the link works in any browser: no login needed

    page = await (await stranger.get(path)).get_data()
    confirmed = await stranger.post(path)
    again = await stranger.post(path)

    assert select_one(page, ".verify-email button").text == "Yes, confirm it"
    assert (await User.get(username_key="carol")).email_verified_at is not None  # after the POST
    assert confirmed.status_code == 200
    assert "confirmed" in select_one(await confirmed.get_data(), ".result").text
    assert again.status_code == 404


async def test_opening_the_link_alone_confirms_nothing(app: Quart, alice: Person,
                                                       smtp: SmtpServer) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    path = await _link_in_mail(smtp, "carol@example.com")

    await Person(app, "scanner").get(path)  # a mail scanner following links

    assert (await User.get(username_key="carol")).email_verified_at is None


async def test_a_forged_link_is_not_found(app: Quart) -> None:
    response = await Person(app, "x").get("/email/verification/forged.token")

    assert response.status_code == 404


async def test_an_unconfirmed_address_gets_no_notifications(app: Quart, alice: Person,
                                                            bob: Person, room_id: int) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    await carol.join(room_id)
    room = await Room.get(id=room_id)

    await create_message(room, await User.get(id=alice.user_id), "@carol and @bob, look", None,
                         max_chars=100, grace=timedelta(0))

    mentioned = {n.user_id for n in await Delivery.emails().filter(kind=NotificationKind.MENTION)}
    assert mentioned == {bob.user_id}  # bob confirmed his address; carol did not
    page = await (await carol.get("/profile")).get_data()
    assert select_one(page, ".email-status").text == "not confirmed"
    assert select(page, ".resend-form button")


async def test_changing_the_address_needs_the_password_and_confirms_again(
        app: Quart, bob: Person, smtp: SmtpServer) -> None:
    wrong = await bob.post("/profile/email", {"email": "new@example.com", "password": "nope"})

    response = await bob.post("/profile/email", {"email": "new@example.com",
                                                 "password": PASSWORD})
    user = await User.get(id=bob.user_id)
    path = await _link_in_mail(smtp, "new@example.com")

    assert wrong.status_code == 400
    assert select_one(await wrong.get_data(), "#password-error").text
    assert response.status_code == 303
    assert (user.email, user.email_verified_at) == ("new@example.com", None)
    assert (await bob.post(path)).status_code == 200
    assert (await User.get(id=bob.user_id)).email_verified_at is not None


async def test_a_link_for_the_old_address_stops_working_after_a_change(
        app: Quart, alice: Person, smtp: SmtpServer) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    old_link = await _link_in_mail(smtp, "carol@example.com")

    await carol.post("/profile/email", {"email": "carol2@example.com", "password": PASSWORD})

    assert (await carol.get(old_link)).status_code == 404


async def test_password_reset_works_for_an_unconfirmed_address(app: Quart, alice: Person,
                                                               smtp: SmtpServer) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    await _link_in_mail(smtp, "carol@example.com")

    await Person(app, "visitor").post("/password/reset", {"email": "carol@example.com"})

    await eventually(lambda: len(smtp.inbox.to("carol@example.com")) == 2)
    assert smtp.inbox.to("carol@example.com")[1].message["Subject"] == "Reset your Parley password"


async def test_a_new_link_can_be_asked_for(app: Quart, alice: Person, smtp: SmtpServer) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    await _link_in_mail(smtp, "carol@example.com")

    response = await carol.post("/profile/email/verification")

    assert response.status_code == 303
    await eventually(lambda: len(smtp.inbox.to("carol@example.com")) == 2)


async def test_a_used_link_stays_dead_when_the_address_changes_and_comes_back(
        app: Quart, alice: Person, smtp: SmtpServer) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    used = await _link_in_mail(smtp, "carol@example.com")
    assert (await carol.post(used)).status_code == 200

    await carol.post("/profile/email", {"email": "carol@elsewhere.example", "password": PASSWORD})
    await _link_in_mail(smtp, "carol@elsewhere.example")  # B's link is out: A will get its own
    await carol.post("/profile/email", {"email": "carol@example.com", "password": PASSWORD})
    replayed = await carol.post(used)

    assert replayed.status_code == 404
    assert "already used" in select_one(await replayed.get_data(), ".error-page p").text
    assert (await User.get(id=carol.user_id)).email_verified_at is None
    # A fresh link comes (made when it is sent, for the address as it is then) and works.
    await eventually(lambda: len(smtp.inbox.to("carol@example.com")) >= 2)
    fresh = select_one(smtp.inbox.to("carol@example.com")[-1].html, "a.verify")["href"]
    assert (await carol.post(fresh.removeprefix("http://parley.test"))).status_code == 200


async def test_a_link_sent_before_the_address_went_away_and_back_is_dead_too(
        app: Quart, alice: Person, smtp: SmtpServer) -> None:
    carol = Person(app, "carol")
    await carol.sign_up(verified=False)
    unused = await _link_in_mail(smtp, "carol@example.com")

    for address in ("carol@elsewhere.example", "carol@example.com"):
        await carol.post("/profile/email", {"email": address, "password": PASSWORD})

    assert (await carol.post(unused)).status_code == 404
    assert (await User.get(id=carol.user_id)).email_verified_at is None
