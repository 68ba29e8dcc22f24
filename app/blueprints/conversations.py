"""Private conversations: my list, the conversation page, encrypted history and sending."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, make_response, redirect, render_template, request, url_for

from app.access import find_contact, find_contact_or_none
from app.actions.conversations import (
    mark_conversation_read,
    send_direct_message,
    start_conversation,
)
from app.actions.errors import DomainError
from app.actions.messages import new_client_msg_id
from app.auth import login_required, require_account
from app.blueprints import int_arg, is_htmx
from app.mail.config import presence_grace
from app.mail.outbox import would_email
from app.queries.conversations import (
    direct_messages_after,
    direct_messages_before,
    find_conversation,
    latest_direct_messages,
    my_conversations,
)
from app.rendering import render_fragment
from config.settings import current_settings

blueprint = Blueprint("dm", __name__)


@blueprint.get("/dm")
@login_required
async def index() -> Any:
    return await _index_page(form={}, errors={}, status=200)


@blueprint.post("/dm")
@login_required
async def start() -> Any:
    user = await require_account()
    form = await request.form
    contact = await find_contact_or_none(user, form.get("username", ""))
    if contact is None:
        return await _index_page(form, {"username": "There is nobody by that name you share a "
                                                    "room with."}, 400)
    await start_conversation(user, contact)
    return redirect(url_for("dm.show", username=contact.username), 303)


@blueprint.get("/dm/<username>")
@login_required
async def show(username: str) -> Any:
    user = await require_account()
    contact = await find_contact(user, username)
    conversation = await start_conversation(user, contact)
    before = int_arg("before")
    settings = current_settings()
    size = settings.history_page_size
    if before is None:
        messages = await latest_direct_messages(conversation, size)
        if messages:
            await mark_conversation_read(conversation, user, messages[-1].seq)
    else:
        messages = await direct_messages_before(conversation, before, size)
    return await render_template(
        "dm/show.html", peer=contact, conversation=conversation, messages=messages,
        has_older=bool(messages) and messages[0].seq > 1, paging_back=before is not None,
        client_msg_id=new_client_msg_id(), max_chars=settings.message_max_chars,
        errors={}, peer_emailed=await would_email(contact, presence_grace(settings)))


@blueprint.get("/dm/<username>/messages")
@login_required
async def history(username: str) -> Any:
    user = await require_account()
    contact = await find_contact(user, username)
    conversation = await find_conversation(user, contact)
    size = current_settings().history_page_size
    after = int_arg("after")
    before = int_arg("before")
    if after is not None:
        messages, has_older = await direct_messages_after(conversation, after), False
        if conversation and messages:  # the catch-up delivered them to the reader's screen
            await mark_conversation_read(conversation, user, messages[-1].seq)
    else:
        messages = await (latest_direct_messages(conversation, size) if before is None
                          else direct_messages_before(conversation, before, size))
        has_older = bool(messages) and messages[0].seq > 1
    return await render_fragment("dm/_page.html", peer=contact, messages=messages,
                                 has_older=has_older)


@blueprint.post("/dm/<username>/messages")
@login_required
async def post(username: str) -> Any:
    user = await require_account()
    contact = await find_contact(user, username)
    try:
        message = await send_direct_message(user, contact, await request.form,
                                            grace=presence_grace(current_settings()))
    except DomainError as exc:  # KeyChanged is a 409: the page must reload its keys
        status = exc.status if exc.status != 400 else (422 if is_htmx() else 400)
        return await _refused(contact, exc.errors, status)
    if not is_htmx():
        return redirect(url_for("dm.show", username=contact.username), 303)
    response = await make_response(await render_fragment("dm/_message.html", message=message))
    response.headers["Vary"] = "HX-Request"
    return response


async def _refused(contact: Any, errors: dict[str, str], status: int) -> Any:
    """Say what was wrong: a fragment for the composer, or a page without JavaScript."""
    if is_htmx():
        html = await render_template("messages/_composer_error.html", errors=errors)
        return html, status, {"Vary": "HX-Request"}
    return await render_template("errors/error.html", code=status,
                                 message=" ".join(errors.values())), status


async def _index_page(form: Any, errors: dict[str, str], status: int) -> Any:
    user = await require_account()
    return await render_template("dm/index.html", conversations=await my_conversations(user),
                                 form=form, errors=errors), status
