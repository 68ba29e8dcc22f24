"""Leaving a room and removing a member (the DELETE-style forms: POST to a `.../<noun>` URL)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, flash, redirect, url_for

from app.access import find_visible_room, require_owner
from app.actions.memberships import leave_room, remove_member
from app.auth import login_required, require_account
from app.errors import InvalidInput, NotFound
from app.queries.members import member_of

blueprint = Blueprint("members", __name__)


@blueprint.post("/rooms/<int:room_id>/membership/deletion")
@login_required
async def leave(room_id: int) -> Any:
    user = await require_account()
    room, membership = await find_visible_room(user, room_id)
    if membership is None:
        return redirect(url_for("rooms.show", room_id=room.id), 303)
    after = await leave_room(room, user)
    note = " It had no members left, so it was archived." if after.archived_at else ""
    left = "the private conversation" if room.is_direct else f"“{room.name}”"
    await flash(f"You left {left}.{note}", "info")
    return redirect(url_for("rooms.index"), 303)


@blueprint.post("/rooms/<int:room_id>/members/<int:user_id>/removal")
@login_required
async def remove(room_id: int, user_id: int) -> Any:
    user = await require_account()
    room, _ = await require_owner(user, room_id)
    if user_id == user.id:
        raise InvalidInput({"form": "To leave your own room, use “Leave room”."})
    membership = await member_of(room, user_id)
    if membership is None:
        raise NotFound("That person is not a member of this room.")
    await remove_member(room, membership.user)
    place = "conversation" if room.is_direct else "room"
    await flash(f"{membership.user.username} was removed from the {place}.", "info")
    return redirect(url_for("rooms.show", room_id=room.id), 303)
