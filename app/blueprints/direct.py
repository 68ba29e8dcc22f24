"""Private conversations: my list, "New message", /dm/<username>, and adding people.

A conversation is a room of kind `direct`: its page, history, posting, read marks and socket
are the room routes. This blueprint only finds or starts one, and adds members to it.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, flash, redirect, render_template, request, url_for

from app.access import find_contact, find_contact_or_none, is_bot_name, require_direct_member
from app.actions.direct_rooms import add_direct_member, start_direct_room
from app.auth import login_required, require_account
from app.blueprints import refusal_status
from app.errors import BOT_NOT_IN_DIRECT, InvalidInput
from app.queries.direct_rooms import MAX_MEMBERS, contacts_of, find_direct_room, my_direct_rooms
from app.queries.keys import current_key

blueprint = Blueprint("dm", __name__)


@blueprint.get("/dm")
@login_required
async def index() -> Any:
    return await _index_page(form_names=[], errors={}, status=200)


@blueprint.post("/dm")
@login_required
async def start() -> Any:
    user = await require_account()
    names = [n for n in (await request.form).getlist("username") if n.strip()]
    if len(names) >= MAX_MEMBERS:  # refused before looking anyone up
        return await _index_page(names, {"username": f"Pick 1 to {MAX_MEMBERS - 1} people."},
                                 refusal_status())
    people = [await find_contact_or_none(user, name) for name in names]
    if any([await is_bot_name(name) for name in names]):
        return await _index_page(names, {"username": BOT_NOT_IN_DIRECT}, 403)
    if not names or None in people:
        return await _index_page(names, {"username": "Pick people who have an active account here."},
                                 refusal_status())
    try:
        room = await start_direct_room(user, [p for p in people if p is not None])
    except InvalidInput as exc:
        return await _index_page(names, exc.errors, refusal_status())
    return redirect(url_for("rooms.show", room_id=room.id), 303)


@blueprint.get("/dm/<username>")
@login_required
async def show(username: str) -> Any:
    """The one-to-one conversation with `username`, or a button to start it (GETs never write)."""
    user = await require_account()
    contact = await find_contact(user, username)
    room = await find_direct_room([user.id, contact.id])
    if room is not None:
        return redirect(url_for("rooms.show", room_id=room.id))
    return await render_template("dm/start.html", contact=contact,
                                 has_key=await current_key(contact) is not None)


@blueprint.post("/rooms/<int:room_id>/members")
@login_required
async def add_member(room_id: int) -> Any:
    user = await require_account()
    room, _ = await require_direct_member(user, room_id)
    name = (await request.form).get("username", "")
    contact = await find_contact_or_none(user, name)
    if contact is None and await is_bot_name(name):
        await flash(BOT_NOT_IN_DIRECT, "error")
        return redirect(url_for("rooms.show", room_id=room.id), 303)
    if contact is None:
        await flash("You can add people who have an active account here.", "error")
        return redirect(url_for("rooms.show", room_id=room.id), 303)
    try:
        await add_direct_member(room, user, contact)
    except InvalidInput as exc:
        await flash(exc.errors["username"], "error")
        return redirect(url_for("rooms.show", room_id=room.id), 303)
    await flash(f"{contact.username} was added. They will see messages from now on.", "success")
    return redirect(url_for("rooms.show", room_id=room.id), 303)


async def _index_page(form_names: list[str], errors: dict[str, str], status: int) -> Any:
    user = await require_account()
    return await render_template("dm/index.html", conversations=await my_direct_rooms(user.id),
                                 contacts=await contacts_of(user), chosen=set(form_names),
                                 errors=errors, max_others=MAX_MEMBERS - 1), status
