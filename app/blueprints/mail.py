"""Links from e-mails (unsubscribe, mute a room) and the development mailbox."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from quart import Blueprint, current_app, render_template, request

from app.actions.notifications import unsubscribe
from app.errors import NotFound
from app.mail.config import MailConfig
from app.mail.tokens import read_unsubscribe_token
from app.security import is_loopback_host
from config.settings import current_settings

blueprint = Blueprint("mail", __name__)


@blueprint.get("/unsubscribe/<token>")
async def confirm_unsubscribe(token: str) -> Any:
    # GET only shows a button: mail scanners follow links, and must not unsubscribe anyone.
    request_ = _token(token)
    return await render_template("mail/unsubscribe.html", token=token,
                                 room_link=request_.room_id is not None, done=False)


@blueprint.post("/unsubscribe/<token>")
async def unsubscribe_now(token: str) -> Any:
    # Also the List-Unsubscribe-Post one-click target: no login and no CSRF token, because
    # the signed token is the permission and it only ever turns mail off.
    request_ = _token(token)
    room_name = await unsubscribe(request_)
    return await render_template("mail/unsubscribe.html", token=token, done=True,
                                 room_link=request_.room_id is not None, room_name=room_name)


@blueprint.get("/dev/mail")
async def dev_mailbox() -> Any:
    mailer = current_app.extensions.get("mail")
    if mailer is None or mailer.cfg.smtp is not None or not _on_developer_machine(mailer.cfg):
        raise NotFound()  # a real mail server is configured, or this is not the developer's machine
    emails = [{"to": m["To"], "subject": m["Subject"], "date": m["Date"],
               "text": m.get_body(("plain",)).get_content()} for m in mailer.dev_outbox]
    return await render_template("mail/dev_mailbox.html", emails=emails)


def _token(token: str) -> Any:
    found = read_unsubscribe_token(current_settings().signing_key, token)
    if found is None:
        raise NotFound()
    return found


def _on_developer_machine(cfg: MailConfig) -> bool:
    """Links point at this machine, the visitor is on it, and so is the name they used.

    Reset links show on the page, so a server on the internet that forgot SMTP_URL (it has a
    public BASE_URL) must not serve it. The Host check defeats DNS rebinding, where a foreign
    name resolves to 127.0.0.1 and the browser would let that site read this page.
    "<local>" is an in-process client, as in tests.
    """
    return is_loopback_host(urlsplit(cfg.base_url).hostname) and \
        is_loopback_host(urlsplit(f"//{request.host}").hostname) and \
        (request.remote_addr == "<local>" or is_loopback_host(request.remote_addr))
