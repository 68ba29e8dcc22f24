"""Forgot password: a signed, single-use, short-lived link sent through the outbox."""

from __future__ import annotations

from dataclasses import replace

from app.mail.tokens import password_reset_token
from app.models import Delivery, Session, User
from config.settings import attach, settings_of
from tests.helpers import Person, select, select_one
from tests.mailbox import SmtpServer, calm_mailer, eventually, wake_mailer


async def ask_for_reset(person: Person, email: str) -> str:
    response = await person.post("/password/reset", {"email": email})
    assert response.status_code == 200
    return select_one(await response.get_data(), ".notice.sent").text


async def test_the_answer_is_the_same_whether_or_not_the_address_exists(app, bob: Person) -> None:
    visitor = Person(app, "visitor")

    known = await ask_for_reset(visitor, "bob@example.com")
    unknown = await ask_for_reset(visitor, "nobody@example.com")

    assert known == unknown
    assert await Delivery.emails().filter(kind="password_reset").count() == 1


async def test_the_page_says_the_key_passphrase_is_separate(app) -> None:
    page = await (await Person(app, "visitor").get("/password/reset")).get_data()

    assert "passphrase" in select_one(page, ".key-note").text


async def test_the_emailed_link_sets_a_new_password_once_and_ends_every_session(
        app, bob: Person, smtp: SmtpServer) -> None:
    visitor = Person(app, "visitor")
    await ask_for_reset(visitor, "bob@example.com")
    await eventually(lambda: smtp.inbox.to("bob@example.com"))
    [mail] = smtp.inbox.to("bob@example.com")
    path = select_one(mail.html, "a.reset")["href"].removeprefix("http://parley.test")
    assert "passphrase" in mail.text

    form_page = await (await visitor.get(path)).get_data()
    assert select_one(form_page, f"form[action='{path}'] input[name=password]")
    response = await visitor.post(path, {"password": "a brand new secret"})

    assert response.status_code == 303
    assert not await Session.exists(user_id=bob.user_id)
    assert (await bob.get("/rooms")).status_code == 302  # his old cookie no longer works
    assert (await visitor.post(path, {"password": "another one!!"})).status_code == 404
    login = await visitor.post("/login", {"username": "bob", "password": "a brand new secret"})
    assert login.status_code == 303


async def test_a_short_password_is_refused_and_the_link_still_works(app, bob: Person) -> None:
    token = password_reset_token(settings_of(app).secret_key, await User.get(id=bob.user_id))
    visitor = Person(app, "visitor")

    response = await visitor.post(f"/password/reset/{token}", {"password": "short"})

    assert response.status_code == 400
    assert select(await response.get_data(), "#password-error")
    assert (await visitor.get(f"/password/reset/{token}")).status_code == 200


async def test_a_forged_reset_link_is_not_found(app) -> None:
    response = await Person(app, "visitor").get("/password/reset/WzEsIngiXQ.forged")

    assert response.status_code == 404


async def test_the_development_mailbox_shows_mail_without_smtp_and_is_gone_with_it(
        app, bob: Person) -> None:
    visitor = Person(app, "visitor")
    await ask_for_reset(visitor, "bob@example.com")
    mailer = app.extensions["mail"]
    before = settings_of(app)
    attach(app, replace(before, notify_delay_seconds=0.1, mail_poll_seconds=0.05))
    await wake_mailer(app)
    try:
        # Other tests' mail (say, a sign-up's confirmation link) may be there already.
        await eventually(lambda: any(m["Subject"] == "Reset your Parley password"
                                     for m in mailer.dev_outbox))
    finally:
        attach(app, before)
        await calm_mailer(app)

    page = await (await visitor.get("/dev/mail")).get_data()
    subjects = [subject.text for subject in select(page, ".dev-mail .subject")]
    assert "Reset your Parley password" in subjects
    mailer.dev_outbox.clear()


async def test_the_development_mailbox_is_not_found_when_smtp_is_set(app, smtp: SmtpServer) -> None:
    response = await Person(app, "visitor").get("/dev/mail")

    assert response.status_code == 404
