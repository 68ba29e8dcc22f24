"""The one place that decides who may see and act in a room (direct rooms included)."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.expressions import Q

from app.errors import BOT_NOT_IN_DIRECT, BadCredentials, Forbidden, Gone, NotFound
from app.media.files import OPAQUE_CONTENT_TYPE
from app.media.storage import is_valid_key
from app.models import (
    Attachment,
    Bot,
    Invitation,
    MediaFile,
    MediaKind,
    Membership,
    Message,
    Room,
    RoomKind,
    User,
    Webhook,
)
from app.security import secret_digest


async def find_visible_room(user: User | None, room_id: int) -> tuple[Room, Membership | None]:
    """The room and the user's membership; NotFound for a room this user may not know exists.

    One statement (every room route starts here): the room joined with the user's membership.
    """
    row = await _room_with_membership(room_id, user.id if user is not None else None)
    if row is None:
        raise NotFound()
    room = Room._init_from_db(**{c: row[c] for c in Room._meta.db_fields})
    membership = None
    if row["ms__id"] is not None:
        membership = Membership._init_from_db(**{c: row[f"ms__{c}"]
                                                 for c in Membership._meta.db_fields})
    if membership is None and room.kind != RoomKind.PUBLIC:
        raise NotFound()
    return room, membership


async def _room_with_membership(room_id: int, user_id: int | None) -> dict[str, Any] | None:
    rooms = ", ".join(f'r."{c}"' for c in Room._meta.db_fields)
    memberships = ", ".join(f'ms."{c}" AS "ms__{c}"' for c in Membership._meta.db_fields)
    rows = await connections.get("default").execute_query_dict(
        f"SELECT {rooms}, {memberships} FROM rooms r LEFT JOIN memberships ms "
        "ON ms.room_id = r.id AND ms.user_id = $2 WHERE r.id = $1 AND r.archived_at IS NULL",
        [room_id, user_id])
    return rows[0] if rows else None


async def require_membership(user: User, room_id: int) -> tuple[Room, Membership]:
    """The room and membership; 404 if the room is hidden from the user, 403 if not a member."""
    room, membership = await find_visible_room(user, room_id)
    if membership is None:
        raise Forbidden("Join this room to take part.")
    return room, membership


async def find_visible_message(user: User, room_id: int, message_id: int) -> tuple[Room, Message]:
    """A message of a room the user may read; 404 when either is hidden or they do not match."""
    room, _ = await find_visible_room(user, room_id)
    message = await Message.get_or_none(id=message_id, room_id=room.id)
    if message is None:
        raise NotFound()
    return room, message


async def require_message_author(user: User, room_id: int, message_id: int) -> tuple[Room, Message]:
    """A message `user` wrote in a room they still belong to (only authors edit)."""
    room, _ = await require_membership(user, room_id)
    _, message = await find_visible_message(user, room_id, message_id)
    if message.author_id != user.id:
        raise Forbidden("Only its author can edit this message.")
    if room.is_direct:
        raise Forbidden("Encrypted messages cannot be edited; delete it and send a new one.")
    return room, message


async def require_message_remover(user: User, room_id: int, message_id: int) -> tuple[Room, Message]:
    """A message `user` may delete: their own, or any in a room they own."""
    room, _ = await require_membership(user, room_id)
    _, message = await find_visible_message(user, room_id, message_id)
    if not can_delete(room, message, user):
        raise Forbidden("Only its author or the room's owner can delete this message.")
    return room, message


def can_delete(room: Room, message: Message, user: User) -> bool:
    """Authors delete their own messages; room owners delete any message in their room, except
    in a direct room, where each member deletes only their own."""
    return message.author_id == user.id or (is_owner(room, user) and not room.is_direct)


def can_join(room: Room) -> bool:
    """Anyone may join a public room; private rooms need an invitation."""
    return room.kind == RoomKind.PUBLIC


async def require_owner(user: User, room_id: int) -> tuple[Room, Membership]:
    """The room and membership of its owner; 404/403 as require_membership, 403 for other members."""
    room, membership = await require_membership(user, room_id)
    if not is_owner(room, user):
        raise Forbidden("Only the room's owner can do that.")
    return room, membership


async def require_renamer(user: User, room_id: int) -> tuple[Room, Membership]:
    """The owner of a room with a name of its own (a direct room is named after its members)."""
    room, membership = await require_owner(user, room_id)
    if room.is_direct:
        raise Forbidden("A private conversation is named after its members.")
    return room, membership


async def require_direct_member(user: User, room_id: int) -> tuple[Room, Membership]:
    """A direct room and the user's membership of it (members add people to it)."""
    room, membership = await require_membership(user, room_id)
    if not room.is_direct:
        raise Forbidden("Invite people to this room instead.")
    return room, membership


async def require_exportable(user: User, room_id: int) -> tuple[Room, Membership]:
    """A room whose history a member may download: never a direct room (ciphertext only)."""
    room, membership = await require_membership(user, room_id)
    if room.is_direct:
        raise Forbidden("Private conversations are end-to-end encrypted: only your browser can "
                        "read them, so Parley cannot export them.")
    return room, membership


async def require_inviter(user: User, room_id: int) -> tuple[Room, Membership]:
    """The room and membership of a member who may invite people into it (403 otherwise)."""
    room, membership = await require_membership(user, room_id)
    if room.is_direct:
        raise Forbidden("Add people to a private conversation from its member list.")
    if not can_invite(room):
        raise Forbidden("Public rooms are open to everyone: share the link instead.")
    return room, membership


async def find_visible_invitation(user: User, invitation_id: int) -> Invitation:
    """An open invitation its invitee or a member of its room may see; 404 for anyone else."""
    invitation = await Invitation.get_or_none(id=invitation_id, room__archived_at=None) \
        .prefetch_related("room", "invitee", "inviter")
    if invitation is None:
        raise NotFound()
    if invitation.invitee_id != user.id and \
            not await Membership.exists(room_id=invitation.room_id, user_id=user.id):
        raise NotFound()
    return invitation


async def require_invitee(user: User, invitation_id: int) -> Invitation:
    """An invitation addressed to `user` (only they may accept or decline it)."""
    invitation = await find_visible_invitation(user, invitation_id)
    if invitation.invitee_id != user.id:
        raise Forbidden("Only the person invited can answer this invitation.")
    return invitation


async def require_revoker(user: User, invitation_id: int) -> Invitation:
    """An invitation `user` may take back: they sent it or they own the room."""
    invitation = await find_visible_invitation(user, invitation_id)
    if not can_revoke(invitation, user):
        raise Forbidden("Only the sender or the room's owner can revoke this invitation.")
    return invitation


def is_owner(room: Room, user: User | None) -> bool:
    """True when `user` owns the room."""
    return user is not None and room.owner_id == user.id


def can_invite(room: Room) -> bool:
    """Members invite people into private rooms; public rooms need no invitation."""
    return room.kind == RoomKind.PRIVATE


def can_revoke(invitation: Invitation, user: User) -> bool:
    """The sender and the room's owner may revoke an open invitation."""
    return user.id in (invitation.inviter_id, invitation.room.owner_id)


async def find_viewable_media(user: User, key: str) -> MediaFile:
    """The media file stored under `key` if this user may see it; 404 for everyone else.

    Profile photos are shown to every logged-in user. A message image is shown only while a
    message still holds it, and only to those who may see that message's room (members, or
    anyone for a public room); an archived room's images are hidden like the room.
    """
    if not is_valid_key(key):
        raise NotFound()
    media = await MediaFile.filter(Q(key=key) | Q(thumb_key=key)).first()
    if media is None:
        raise NotFound()
    if media.kind == MediaKind.AVATAR:
        return media
    if media.kind == MediaKind.PREVIEW:
        return await _viewable_preview_image(user, media)
    if media.room_id is None or not await Message.exists(image_id=media.id):
        raise NotFound()
    await find_visible_room(user, media.room_id)
    return media


async def _viewable_preview_image(user: User, media: MediaFile) -> MediaFile:
    """A link preview's image (shared by every message linking to the page): shown to those
    who may see a room where a message shows that card."""
    room_ids = await Message.filter(link__preview__image_id=media.id, link__state="shown",
                                    deleted_at=None) \
        .distinct().limit(20).values_list("room_id", flat=True)
    for room_id in room_ids:
        try:
            await find_visible_room(user, int(room_id))  # type: ignore[call-overload]
        except NotFound:
            continue
        return media
    raise NotFound()


async def find_viewable_attachment(user: User, key: str) -> Attachment:
    """The attached file stored under `key` if this user may see it; 404 for everyone else.

    The same rule as a message image: only while a message still holds it, and only to those
    who may see that message's room. An encrypted file of a private conversation is named only
    inside sealed messages, which the server cannot read: it is served to the room's members.
    """
    if not is_valid_key(key):
        raise NotFound()
    attachment = await Attachment.get_or_none(key=key)
    if attachment is None or attachment.room_id is None:
        raise NotFound()
    if attachment.content_type != OPAQUE_CONTENT_TYPE and \
            not await Message.exists(attachment_id=attachment.id):
        raise NotFound()
    await find_visible_room(user, attachment.room_id)
    return attachment


async def find_contact(user: User, username: str) -> User:
    """The user `user` may message privately; 404 for unknown users, oneself and strangers."""
    other = await find_contact_or_none(user, username)
    if other is None:
        if await is_bot_name(username):
            raise Forbidden(BOT_NOT_IN_DIRECT)  # a bot's name is public: say why, clearly
        raise NotFound()
    return other


async def is_bot_name(username: str) -> bool:
    """True when `username` names a two-way bot (which never joins a private conversation)."""
    return await Bot.exists(user__username_key=username.strip().lstrip("@").lower()[:32])


async def find_contact_or_none(user: User, username: str) -> User | None:
    """Like find_contact, but None instead of a 404 (for the "New message" form)."""
    other = await User.get_or_none(username_key=username.strip().lower()[:32])
    if other is None or other.id == user.id or not can_message(user, other):
        return None
    return other


async def find_key_owner(user: User, username: str) -> User:
    """Whose public keys `user` may fetch: their own, or a contact's (404 otherwise)."""
    if username.strip().lower() == user.username_key:
        return user
    return await find_contact(user, username)


def can_message(user: User, other: User) -> bool:
    """Everyone active on the instance may message everyone else active on it, as in a team's
    chat: a newcomer can write to anyone from their first minute. Webhooks' bots and
    deactivated accounts cannot be messaged (they get a 404, like names nobody has)."""
    return other.id != user.id and other.is_active


def require_admin(user: User) -> User:
    """The user, if they run this instance (403 for everyone else)."""
    if not user.is_admin:
        raise Forbidden("Only an administrator can do that.")
    return user


async def find_person(user_id: int) -> User:
    """A person's account (any state) for the admin page; 404 for bots and unknown ids."""
    person = await User.get_or_none(id=user_id, is_bot=False, imported_from=None)
    if person is None:
        raise NotFound()
    return person


async def find_room_for_admin(room_id: int) -> Room:
    """Any room, archived or not, public or private (not a private conversation):
    administrators may archive any of them."""
    room = await Room.get_or_none(id=room_id)
    if room is None or room.is_direct:
        raise NotFound()
    return room


async def find_webhook_by_token(token: str) -> Webhook:
    """The live webhook a secret URL names: 404 for an unknown token, 410 once it is revoked
    or its room archived (Slack's answers, so scripts can tell "stop trying" apart)."""
    webhook = await Webhook.get_or_none(token_hash=secret_digest(token)).prefetch_related("room") \
        if len(token) <= 128 else None
    if webhook is None:
        raise NotFound("no_service: no webhook has this URL.")
    if webhook.revoked_at is not None:
        raise Gone("no_service: this webhook was revoked.")
    if webhook.room.archived_at is not None:
        raise Gone("channel_is_archived: the webhook's room is archived.")
    if webhook.room.is_direct:  # never made for one (require_webhook_room); never posted to
        raise Forbidden("action_prohibited: webhooks never post into private conversations.")
    return webhook


async def require_webhook_room(user: User, room_id: int) -> Room:
    """A room whose member may manage its webhooks; 403 for a private conversation."""
    room, _ = await require_membership(user, room_id)
    if room.is_direct:
        raise Forbidden("Webhooks never post into private conversations.")
    return room


async def require_webhook_manager(user: User, room_id: int, webhook_id: int) -> Webhook:
    """A room's webhook that `user` may revoke: they made it or own the room (members see it)."""
    room = await require_webhook_room(user, room_id)
    webhook = await Webhook.get_or_none(id=webhook_id, room_id=room.id, revoked_at=None)
    if webhook is None:
        raise NotFound()
    if user.id != webhook.creator_id and not is_owner(room, user):
        raise Forbidden("Only whoever made this webhook or the room's owner can revoke it.")
    return webhook


async def find_bot(bot_id: int) -> Bot:
    """A two-way bot, for the admin page (404 for unknown ids)."""
    bot = await Bot.get_or_none(id=bot_id).prefetch_related("user")
    if bot is None:
        raise NotFound()
    return bot


async def find_bot_by_key(authorization: str) -> Bot:
    """The bot whose API key an `Authorization: Bearer <key>` header carries; 401 otherwise
    (no header, another scheme, an unknown or rotated key, a deactivated bot)."""
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise BadCredentials("Send the bot's API key: Authorization: Bearer <key>.")
    bot = await Bot.get_or_none(key_hash=secret_digest(key.strip())).prefetch_related("user")
    if bot is None or bot.user.deactivated_at is not None:
        raise BadCredentials("invalid_auth: this API key is unknown or was rotated.")
    return bot


async def require_bot_room(bot: Bot, room_id: int) -> Room:
    """A live room the bot belongs to: 404 for an unknown or archived room, 403 when the bot is
    not a member."""
    room = await Room.get_or_none(id=room_id, archived_at=None)
    if room is None:
        raise NotFound("channel_not_found: no such room.")
    if not await Membership.exists(room_id=room.id, user_id=bot.user_id):
        raise Forbidden("not_in_channel: the bot is not a member of this room.")
    return room
