"""Invitations as REST nouns: send one, and answer it (acceptance, decline) or take it back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from quart import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing.exceptions import RoutingException

from app.access import require_invitee, require_inviter, require_revoker
from app.actions.invitations import accept_invitation, decline_invitation, invite_member, revoke_invitation
from app.auth import login_required, require_account
from app.blueprints import is_htmx, refusal_status
from app.blueprints.rooms import render_room_page
from app.errors import InvalidInput
from app.mail.config import presence_grace
from app.queries.members import invitations_for
from app.queries.records import User
from app.queries.rooms import my_rooms
from config.settings import current_settings

blueprint = Blueprint("invitations", __name__)


@blueprint.post("/rooms/<int:room_id>/invitations")
@login_required
async def create(room_id: int) -> Any:
    user = await require_account()
    room, membership = await require_inviter(user, room_id)
    form = await request.form
    try:
        invitation = await invite_member(room, user, form.get("username", ""),
                                         grace=presence_grace(current_settings()))
    except InvalidInput as exc:
        return await render_room_page(room, membership, form=form, errors=exc.errors,
                                      status=refusal_status())
    await flash(f"Invited {invitation.invitee.username}. They see the invitation in their "
                "sidebar, and the room's whole history once they accept.", "success")
    return redirect(url_for("rooms.show", room_id=room.id), 303)


@blueprint.post("/invitations/<int:invitation_id>/acceptance")
@login_required
async def accept(invitation_id: int) -> Any:
    user = await require_account()
    invitation = await require_invitee(user, invitation_id)
    await accept_invitation(invitation)
    room = invitation.room
    if is_htmx():  # answered in place: the sidebar lists the room, the page stays
        link = f'<a href="{url_for("rooms.show", room_id=room.id)}">Open it</a>'
        return await _answered_in_place(user, Markup(f"You joined “{escape(room.name)}”. {link}"))
    await flash(f"You joined “{room.name}”.", "success")
    return redirect(url_for("rooms.show", room_id=invitation.room_id), 303)


@blueprint.post("/invitations/<int:invitation_id>/decline")
@login_required
async def decline(invitation_id: int) -> Any:
    user = await require_account()
    invitation = await require_invitee(user, invitation_id)
    await decline_invitation(invitation)
    said = f"You declined the invitation to “{invitation.room.name}”."
    if is_htmx():
        return await _answered_in_place(user, said)
    await flash(said, "info")
    return redirect(url_for("rooms.index"), 303)


async def _answered_in_place(user: User, outcome: str) -> Any:
    """The sidebar's invitations (the form's target), its room list and the status line."""
    context = {"received_invitations": await invitations_for(user), "sidebar": await my_rooms(user),
               "current_room_id": _shown_room_id(), "outcome": outcome}
    return await render_template("invitations/_answered.html", **context)


def _shown_room_id() -> int | None:
    """The room the tab shows (its sidebar marks it the current page), from htmx's header."""
    path = urlsplit(request.headers.get("HX-Current-URL", "")).path
    try:
        endpoint, args = current_app.url_map.bind("").match(path, method="GET")
    except (HTTPException, RoutingException):  # not one of our pages
        return None
    return args.get("room_id") if endpoint == "rooms.show" else None


@blueprint.post("/invitations/<int:invitation_id>/revocation")
@login_required
async def revoke(invitation_id: int) -> Any:
    user = await require_account()
    invitation = await require_revoker(user, invitation_id)
    await revoke_invitation(invitation)
    await flash(f"The invitation to {invitation.invitee.username} was revoked.", "info")
    return redirect(url_for("rooms.show", room_id=invitation.room_id), 303)
