"""Invitations as REST nouns: send one, and answer it (acceptance, decline) or take it back."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, flash, redirect, request, url_for

from app.access import require_invitee, require_inviter, require_revoker
from app.actions.invitations import accept_invitation, decline_invitation, invite_member, revoke_invitation
from app.auth import login_required, require_account
from app.blueprints import refusal_status
from app.blueprints.rooms import render_room_page
from app.errors import InvalidInput
from app.mail.config import presence_grace
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
    await flash(f"Invited {invitation.invitee.username}. They will see the invitation on their "
                "rooms page, and the room's whole history once they accept.", "success")
    return redirect(url_for("rooms.show", room_id=room.id), 303)


@blueprint.post("/invitations/<int:invitation_id>/acceptance")
@login_required
async def accept(invitation_id: int) -> Any:
    user = await require_account()
    invitation = await require_invitee(user, invitation_id)
    await accept_invitation(invitation)
    await flash(f"You joined “{invitation.room.name}”.", "success")
    return redirect(url_for("rooms.show", room_id=invitation.room_id), 303)


@blueprint.post("/invitations/<int:invitation_id>/decline")
@login_required
async def decline(invitation_id: int) -> Any:
    user = await require_account()
    invitation = await require_invitee(user, invitation_id)
    await decline_invitation(invitation)
    await flash(f"You declined the invitation to “{invitation.room.name}”.", "info")
    return redirect(url_for("rooms.index"), 303)


@blueprint.post("/invitations/<int:invitation_id>/revocation")
@login_required
async def revoke(invitation_id: int) -> Any:
    user = await require_account()
    invitation = await require_revoker(user, invitation_id)
    await revoke_invitation(invitation)
    await flash(f"The invitation to {invitation.invitee.username} was revoked.", "info")
    return redirect(url_for("rooms.show", room_id=invitation.room_id), 303)
