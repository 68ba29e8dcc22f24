"""E-mail when things fail: the SMTP server down, refusing for now or for good, the app killed."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest
from aiosmtpd.smtp import AuthResult
from quart import Quart

from app.db import asyncpg_dsn
from app.mail.sender import start_mail, stop_mail
from app.models import Delivery, Membership, NotificationStatus
from config.settings import attach, settings_of
from tests.helpers import Person, select, select_one
from tests.mailbox import Inbox, SmtpServer, eventually, self_signed_tls
from tests.remote import RemoteUser
from tests.server import running_server


async def attempts_at_least(user_id: int | None, n: int) -> bool:
    rows = await Delivery.emails().filter(user_id=user_id).values_list("attempts", flat=True)
    return bool(rows) and min(rows) >= n


async def test_with_smtp_down_mail_waits_and_arrives_once_when_it_is_back(
        alice: Person, bob: Person, mallory: Person, room_id: int, smtp: SmtpServer) -> None:
    await mallory.join(room_id)
    smtp.stop()

    await alice.say(room_id, "@bob @mallory standup in five")
    await eventually(lambda: attempts_at_least(bob.user_id, 2))
    await eventually(lambda: attempts_at_least(mallory.user_id, 2))
    assert await Delivery.emails().filter(status=NotificationStatus.PENDING).count() == 2
    smtp.start()
    await eventually(lambda: len(smtp.inbox.received) == 2)
    # Both rows marked sent: nothing is left that could be sent a second time.
    await eventually(lambda: _all_sent(2))

    assert len(smtp.inbox.to("bob@example.com")) == 1
    assert len(smtp.inbox.to("mallory@example.com")) == 1
    assert await Delivery.emails().filter(status=NotificationStatus.SENT).count() == 2


async def test_a_421_answer_is_retried_and_delivered(alice: Person, bob: Person, room_id: int,
                                                     smtp: SmtpServer) -> None:
    smtp.inbox.replies.append("421 4.3.2 Try again later")

    await alice.say(room_id, "@bob hello")
    await eventually(lambda: Delivery.emails().filter(status=NotificationStatus.SENT).exists())

    row = await Delivery.emails().get(user_id=bob.user_id)
    assert (row.status, row.attempts, smtp.inbox.attempts) == (NotificationStatus.SENT, 1, 2)
    assert row.last_error.startswith("421")


async def test_a_550_answer_is_recorded_as_failed_and_not_retried(
        alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    smtp.inbox.replies.append("550 5.1.1 No such mailbox")

    await alice.say(room_id, "@bob hello")
    await eventually(lambda: Delivery.emails().filter(status=NotificationStatus.FAILED).exists())
    # FAILED is final: the sender never claims such a row again.

    row = await Delivery.emails().get(user_id=bob.user_id)
    assert (row.attempts, smtp.inbox.attempts) == (1, 1)
    assert row.last_error.startswith("550")
    assert not (await Membership.get(user_id=bob.user_id, room_id=room_id)).email_held


async def test_mail_queued_by_a_killed_process_is_sent_by_the_next(database_url: str,
                                                                  tmp_path: Path) -> None:
    smtp = SmtpServer()
    smtp.start()
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "SECRET_KEY": "shared",
           "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "MAIL_POLL_SECONDS": "0.1",
           "PRESENCE_GRACE_SECONDS": "0"}
    suffix = uuid.uuid4().hex[:8]
    try:
        with running_server({**env, "NOTIFY_DELAY_SECONDS": "3600"}) as (base, proc):
            alice, bob = RemoteUser(base, f"alice{suffix}"), RemoteUser(base, f"bob{suffix}")
            for user in (alice, bob):
                await user.sign_up()
            await bob.confirm_address(smtp)  # mail goes only to confirmed addresses
            room = await alice.create_room("killed")
            await bob.join(room)
            await alice.say(room, f"@bob{suffix} are you there?")
            for user in (alice, bob):
                await user.close()
            proc.kill()  # SIGKILL: no shutdown of any kind
            proc.wait()
        assert await _pending_for(database_url, f"bob{suffix}") == 1

        with running_server({**env, "NOTIFY_DELAY_SECONDS": "0"}):
            await eventually(lambda: len(smtp.inbox.to(f"bob{suffix}@example.com")) > 1)

        [confirmation, mention] = smtp.inbox.to(f"bob{suffix}@example.com")
        assert "are you there?" in mention.text
    finally:
        smtp.stop()


async def _pending_for(database_url: str, username: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM deliveries n JOIN users u ON u.id = n.user_id "
            "WHERE u.username = $1 AND n.channel = 'email' AND n.status = 'pending'", username)
    finally:
        await conn.close()


async def test_an_e_mail_that_cannot_be_built_backs_off_and_does_not_block_others(
        alice: Person, bob: Person, mallory: Person, room_id: int, smtp: SmtpServer,
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.mail import sender

    real_build = sender.build_digest

    async def broken_for_bob(user, *args, **kwargs):  # type: ignore[no-untyped-def]
        if user.id == bob.user_id:
            raise ValueError("a template bug")
        return await real_build(user, *args, **kwargs)

    monkeypatch.setattr(sender, "build_digest", broken_for_bob)
    await mallory.join(room_id)

    await alice.say(room_id, "@bob first")
    await alice.say(room_id, "@mallory second")
    await eventually(lambda: len(smtp.inbox.received) == 1)
    await eventually(lambda: attempts_at_least(bob.user_id, 1))

    assert len(smtp.inbox.to("mallory@example.com")) == 1
    row = await Delivery.emails().get(user_id=bob.user_id)
    assert row.status == NotificationStatus.PENDING and row.last_error.startswith("build failed")


async def _all_sent(count: int) -> bool:
    return await Delivery.emails().filter(status=NotificationStatus.SENT).count() == count


async def test_a_server_demanding_starttls_holds_the_mail_shows_why_and_sends_it_once_mended(
        app: Quart, alice: Person, bob: Person, room_id: int, smtp: SmtpServer,
        tmp_path: Path) -> None:
    cert, tls = self_signed_tls(tmp_path)
    inbox = Inbox()  # one mail server, two ports: STARTTLS demanded, and TLS from the start
    demanding, over_tls = SmtpServer(inbox, tls), SmtpServer(inbox, tls, implicit=True)
    for server in (demanding, over_tls):
        server.start()
    try:
        attach(app, replace(settings_of(app), smtp_url=f"smtp://127.0.0.1:{demanding.port}"))
        await alice.say(room_id, "@bob are you there?")
        await eventually(lambda: attempts_at_least(bob.user_id, 2))  # tried again, not failed
        held = await Delivery.emails().get(user_id=bob.user_id)
        failing = await _mail_notice(alice)

        # The administrator mends SMTP_URL (and trusts the server's certificate); a restart.
        attach(app, replace(settings_of(app), smtp_url=f"smtps://127.0.0.1:{over_tls.port}",
                            smtp_ca_file=cert))
        await stop_mail(app)
        await start_mail(app)
        await eventually(lambda: inbox.to("bob@example.com"))
        await eventually(lambda: Delivery.emails().filter(
            id=held.id, status=NotificationStatus.SENT).exists())
        mended = await _mail_notice(alice)
    finally:
        for server in (demanding, over_tls):
            server.stop()

    assert held.status == NotificationStatus.PENDING and held.last_error.startswith("530")
    assert failing.startswith("Mail delivery failing since") and "STARTTLS" in failing
    [mail] = inbox.to("bob@example.com")
    assert "are you there?" in mail.text
    assert mail.message["Message-ID"].endswith("@parley.test>")  # BASE_URL's host, not @parley
    assert mended == ""


async def test_a_self_signed_certificate_is_shown_to_the_admin_until_smtp_ca_file_trusts_it(
        app: Quart, alice: Person, bob: Person, room_id: int, smtp: SmtpServer,
        tmp_path: Path) -> None:
    cert, tls = self_signed_tls(tmp_path)
    over_tls = SmtpServer(tls=tls, implicit=True)
    over_tls.start()
    try:
        attach(app, replace(settings_of(app), smtp_url=f"smtps://127.0.0.1:{over_tls.port}"))
        await alice.say(room_id, "@bob hello")
        await eventually(lambda: attempts_at_least(bob.user_id, 2))
        failing = await _mail_notice(alice)
        asked = await Person(app, "visitor").post("/password/reset",
                                                  {"email": "bob@example.com"})
        told = select_one(await asked.get_data(), ".mail-delayed").text
        carol = Person(app, "carol")
        await carol.sign_up(verified=False)
        welcomed = select_one(await (await carol.get("/rooms")).get_data(), ".flash").text

        attach(app, replace(settings_of(app), smtp_ca_file=cert))
        await eventually(lambda: len(over_tls.inbox.to("bob@example.com")) == 2)
        await eventually(lambda: over_tls.inbox.to("carol@example.com"))
        mended = await _mail_notice(alice)
    finally:
        over_tls.stop()

    assert "CERTIFICATE_VERIFY_FAILED" in failing and "SMTP_CA_FILE" in failing
    assert told.startswith("E-mail delivery is delayed at the moment")
    assert "confirm your address. E-mail delivery is delayed at the moment" in welcomed
    texts = [m.text for m in over_tls.inbox.to("bob@example.com")]
    assert any("hello" in t for t in texts) and any("/password/reset/" in t for t in texts)
    assert mended == ""
    assert not await Delivery.emails().filter(status=NotificationStatus.FAILED).exists()


# Plain-text AUTH on loopback only: the test's server, not a configuration anyone should copy.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_refused_login_is_retried_and_shown_until_the_password_is_mended(
        app: Quart, alice: Person, bob: Person, room_id: int, smtp: SmtpServer) -> None:
    def only_the_right_password(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        return AuthResult(success=auth_data.password == b"right", handled=False)

    with_login = SmtpServer(auth_required=True, auth_require_tls=False,
                            authenticator=only_the_right_password)
    with_login.start()
    try:
        attach(app, replace(settings_of(app),
                            smtp_url=f"smtp://parley:wrong@127.0.0.1:{with_login.port}"))
        await alice.say(room_id, "@bob hello")
        await eventually(lambda: attempts_at_least(bob.user_id, 2))
        failing = await _mail_notice(alice)

        attach(app, replace(settings_of(app),
                            smtp_url=f"smtp://parley:right@127.0.0.1:{with_login.port}"))
        await eventually(lambda: with_login.inbox.to("bob@example.com"))
        await eventually(lambda: Delivery.emails().filter(status=NotificationStatus.SENT).exists())
        mended = await _mail_notice(alice)
    finally:
        with_login.stop()

    assert failing.startswith("Mail delivery failing since") and ": 535" in failing
    assert mended == ""


async def _mail_notice(admin: Person) -> str:
    """The admin page's notice that mail is failing ('' when there is none)."""
    page = await (await admin.get("/admin")).get_data()
    notice = select(page, ".mail-failing")
    return " ".join(notice[0].text.split()) if notice else ""
