"""Every route of the app, and what each kind of visitor gets from it.

The route list comes from `app.url_map`, so a new route with no entry in MATRIX fails
`test_every_route_has_an_entry_in_the_matrix`. To add a route, add one line to MATRIX saying
what an anonymous visitor, an outsider (mallory), a pending invitee (carol), a member (bob),
the owner (alice), the administrator (erin, in no room) and a deactivated member (grace, whose
browser still holds its old cookie) get for the private room, its pending invitation, bob's
membership and alice's webhook.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from PIL import Image
from quart import Quart

from app.actions.accounts import create_session
from app.actions.bots import add_bot_to_room, create_bot
from app.actions.direct_rooms import start_direct_room
from app.actions.instance import get_instance
from app.actions.invitations import accept_invitation, invite_member
from app.actions.messages import create_message, create_sealed_message
from app.actions.rooms import create_room
from app.actions.users import deactivate_user
from app.actions.webhooks import create_webhook
from app.mail.tokens import email_verification_token, password_reset_token, unsubscribe_token
from app.media.uploads import UploadedFile, media_settings
from app.models import Attachment, ImportRun, MediaFile, PublicKey, PushSubscription, User
from app.security import hash_password
from config.settings import settings_of
from tests.helpers import Person, sealed_envelope, signed_in
from tests.live import SocketClosed, frame_matching, next_frame, registered

SECRET = "test-secret"  # the SECRET_KEY of the test settings
PERSONAS = ("anonymous", "outsider", "invitee", "member", "owner", "admin", "deactivated")
# Files anyone may fetch, nothing per room (app/static_files.py).
EXEMPT = {("GET", "/static/<path:filename>"),
          ("GET", "/static/<static_version:version>/<path:filename>")}
LOGIN = 302  # login_required sends anonymous visitors to the login page
# For the WebSocket: the close code of a refused socket, or whether it hears the room.
WS_REFUSED, WS_HEARS_ROOM, WS_DEAF_TO_ROOM = 1008, 1, 0


@dataclass(frozen=True)
class Expect:
    """The status each persona gets, and what the request sends."""

    anonymous: int
    outsider: int
    invitee: int
    member: int
    owner: int
    admin: int
    deactivated: int
    form: dict[str, str] = field(default_factory=dict)
    query: str = ""


def everyone(status: int, **kw: Any) -> Expect:
    """A route that treats every visitor alike."""
    return Expect(status, status, status, status, status, status, status, **kw)


def signed_in_only(status: int, **kw: Any) -> Expect:
    """A route for any logged-in user (a deactivated user is logged out)."""
    return Expect(LOGIN, status, status, status, status, status, LOGIN, **kw)


def in_the_room(member: int, owner: int | None = None, **kw: Any) -> Expect:
    """A route about the private room: 404 for anyone who may not know it exists (the
    administrator too: running the instance is not reading its private rooms)."""
    return Expect(LOGIN, 404, 404, member, member if owner is None else owner, 404, LOGIN, **kw)


def for_the_invitation(invitee: int, revoker: int, **kw: Any) -> Expect:
    """A route about carol's pending invitation (sent by alice, the owner)."""
    return Expect(LOGIN, 404, invitee, 403, revoker, 404, LOGIN, **kw)


def admins_only(status: int, **kw: Any) -> Expect:
    """A route of the admin page: 403 for every other logged-in user."""
    return Expect(LOGIN, 403, 403, 403, 403, status, LOGIN, **kw)


MATRIX: dict[tuple[str, str], Expect] = {
    ("GET", "/healthz"): everyone(200),
    ("GET", "/help/javascript"): everyone(200),
    ("GET", "/"): everyone(302),
    ("GET", "/register"): everyone(200),  # saying that signing up needs the join link
    ("POST", "/register"): everyone(403),  # people exist: the join link is needed
    ("GET", "/join/<token>"): everyone(200),
    ("POST", "/join/<token>"): everyone(400),  # the link is right, the empty form is not
    ("GET", "/login"): everyone(200),
    ("POST", "/login"): everyone(400),
    ("POST", "/logout"): everyone(303),
    ("GET", "/rooms"): signed_in_only(200),
    ("POST", "/rooms"): signed_in_only(303, form={"name": "another room"}),
    ("GET", "/users/search"): signed_in_only(200, query="?q=b"),
    ("GET", "/rooms/<int:room_id>"): in_the_room(200),
    ("POST", "/rooms/<int:room_id>"): in_the_room(403, 303, form={"name": "renamed"}),
    ("POST", "/rooms/<int:room_id>/membership"): in_the_room(303),
    ("POST", "/rooms/<int:room_id>/read-marker"): in_the_room(303, form={"seq": "1"}),
    ("POST", "/rooms/<int:room_id>/membership/deletion"): in_the_room(303),
    ("POST", "/rooms/<int:room_id>/members/<int:user_id>/removal"): in_the_room(403, 303),
    ("GET", "/rooms/<int:room_id>/messages"): in_the_room(200, query="?after=0"),
    ("POST", "/rooms/<int:room_id>/messages"): in_the_room(303, form={"body": "hello"}),
    # alice's message (<int:message_id>): she wrote it and owns the room; bob is a member.
    ("GET", "/rooms/<int:room_id>/messages/<int:message_id>/edit"): in_the_room(403, 200),
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>"): in_the_room(403, 303,
                                                                           form={"body": "new"}),
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>/deletion"): in_the_room(403, 303),
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>/reactions"): in_the_room(
        303, form={"emoji": "👍"}),
    ("GET", "/rooms/<int:room_id>/messages/<int:message_id>/revisions"): in_the_room(200),
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>/link-preview/deletion"):
        in_the_room(403, 303),
    ("GET", "/rooms/<int:room_id>/export.html"): in_the_room(200),
    ("GET", "/rooms/<int:room_id>/export.json"): in_the_room(200),
    ("GET", "/search"): signed_in_only(200, query="?q=plan"),
    ("POST", "/rooms/<int:room_id>/invitations"): in_the_room(303, form={"username": "dave"}),
    ("POST", "/invitations/<int:invitation_id>/acceptance"): for_the_invitation(303, 403),
    ("POST", "/invitations/<int:invitation_id>/decline"): for_the_invitation(303, 403),
    ("POST", "/invitations/<int:invitation_id>/revocation"): for_the_invitation(403, 303),
    ("GET", "/profile"): signed_in_only(200),
    ("POST", "/profile/notifications"): signed_in_only(303, form={"delay": ""}),
    ("POST", "/profile/password"): signed_in_only(400),  # no current password: nothing changes
    ("POST", "/rooms/<int:room_id>/involvement"): in_the_room(303, form={"involvement": "everything"}),
    # Links from bob's e-mails work for whoever holds them: the signed token is the permission.
    ("GET", "/unsubscribe/<token>"): everyone(200),
    ("POST", "/unsubscribe/<token>"): everyone(200),
    ("GET", "/password/reset"): everyone(200),
    ("POST", "/password/reset"): everyone(200, form={"email": "nobody@example.com"}),
    ("GET", "/password/reset/<token>"): everyone(200),
    ("POST", "/password/reset/<token>"): everyone(400),  # no new password given: nothing spent
    ("GET", "/dev/mail"): everyone(200),  # no SMTP_URL in tests, and the client is on loopback
    ("POST", "/profile/avatar"): signed_in_only(400),  # no file chosen: a clear error, no change
    ("GET", "/media/<key>"): in_the_room(200),
    ("GET", "/files/<file_key>"): in_the_room(200),  # the file attached to alice's notes
    # Encrypted files are for private conversations only (DIRECT_MATRIX has them on one).
    ("POST", "/rooms/<int:room_id>/files"): in_the_room(403),
    # Private messages with bob (<username>): anyone active on the instance may write to him,
    # bob himself may not (nobody messages themselves).
    ("GET", "/dm"): signed_in_only(200),
    ("POST", "/dm"): Expect(LOGIN, 303, 303, 400, 303, 303, LOGIN, form={"username": "bob"}),
    # Nobody has a direct room with bob in this world: the page offering to start one.
    ("GET", "/dm/<username>"): Expect(LOGIN, 200, 200, 404, 200, 200, LOGIN),
    # Direct-room routes on the private room: refused (DIRECT_MATRIX has them on a direct room).
    ("POST", "/rooms/<int:room_id>/members"): in_the_room(403, form={"username": "dave"}),
    ("GET", "/rooms/<int:room_id>/keys"): in_the_room(403),
    ("POST", "/keys"): signed_in_only(400),  # an empty form: refused with the reason
    # alice's key (<int:key_id>) has no backup yet; an empty form is refused with the reason.
    ("POST", "/keys/<int:key_id>/backup"): Expect(LOGIN, 404, 404, 404, 400, 404, LOGIN),
    ("GET", "/users/<username>/keys"): signed_in_only(200),  # whom one may write to
    ("GET", "/keys/backup"): signed_in_only(200),
    ("GET", "/manifest.webmanifest"): everyone(200),
    ("GET", "/sw.js"): everyone(200),
    ("GET", "/offline"): everyone(200),
    ("POST", "/push/subscriptions"): signed_in_only(400),  # no endpoint or keys: the reason
    # bob's phone (<int:subscription_id>): only bob may remove it; to others it does not exist.
    ("POST", "/push/subscriptions/<int:subscription_id>/deletion"): Expect(LOGIN, 404, 404, 303,
                                                                          404, 404, LOGIN),
    ("WS", "/ws"): Expect(WS_REFUSED, WS_DEAF_TO_ROOM, WS_DEAF_TO_ROOM, WS_HEARS_ROOM,
                          WS_HEARS_ROOM, WS_DEAF_TO_ROOM, WS_REFUSED, query="?room=<int:room_id>"),
    # Running the instance (<int:user_id> is bob).
    ("GET", "/admin"): admins_only(200),
    ("POST", "/admin/instance"): admins_only(303, form={"name": "Acme", "signup_policy": "link"}),
    ("POST", "/admin/join-link"): admins_only(303),
    ("POST", "/admin/users/<int:user_id>/deactivation"): admins_only(303),
    ("POST", "/admin/users/<int:user_id>/reactivation"): admins_only(303),
    ("POST", "/admin/users/<int:user_id>/administrator"): admins_only(303),
    ("POST", "/admin/users/<int:user_id>/administrator/deletion"): admins_only(303),
    ("POST", "/admin/rooms/<int:room_id>/archival"): admins_only(303),
    ("POST", "/admin/rooms/<int:room_id>/archival/deletion"): admins_only(303),
    # The world's room is private: it cannot be everyone's (refused, with the reason).
    ("POST", "/admin/rooms/<int:room_id>/everyone"): admins_only(400),
    ("POST", "/admin/rooms/<int:room_id>/everyone/deletion"): admins_only(303),
    ("POST", "/admin/slack-imports"): admins_only(400),  # no file chosen: a clear error
    ("GET", "/admin/slack-imports/<int:run_id>"): admins_only(200),
    # bob's address confirmation link: the signed token is the permission.
    ("GET", "/email/verification/<token>"): everyone(200),
    ("POST", "/email/verification/<token>"): everyone(200),
    ("POST", "/profile/email"): signed_in_only(400),  # no password given: nothing changes
    ("POST", "/profile/email/verification"): signed_in_only(303),
    # Webhooks: members make them; alice's (<int:webhook_id>) only she may revoke.
    ("GET", "/rooms/<int:room_id>/webhooks"): in_the_room(200),
    ("POST", "/rooms/<int:room_id>/webhooks"): in_the_room(303, form={"name": "CI"}),
    ("POST", "/rooms/<int:room_id>/webhooks/<int:webhook_id>/revocation"): in_the_room(403, 303),
    # The webhook's secret URL is the permission, whoever sends it (sessions are ignored).
    ("POST", "/hooks/<token>"): everyone(200, form={"text": "deploy done"}),
    # Bots: the admin page makes them (its answer shows the key once) and puts them in rooms.
    ("POST", "/admin/bots"): admins_only(200, form={"bot_name": "helper"}),
    ("POST", "/admin/bots/<int:bot_id>/key"): admins_only(200),
    ("POST", "/admin/bots/<int:bot_id>/avatar"): admins_only(400),  # no file chosen
    ("POST", "/admin/bots/<int:bot_id>/rooms"): admins_only(400),  # no room chosen
    ("POST", "/admin/bots/<int:bot_id>/rooms/<int:room_id>/deletion"): admins_only(303),
    # A bot's API: its Bearer key is the permission, never a session (tests/test_bots.py
    # checks the key's refusals: 401, 403, 404).
    ("GET", "/api/bot/rooms"): everyone(401),
    ("GET", "/api/bot/rooms/<int:room_id>/messages"): everyone(401),
    ("POST", "/api/bot/rooms/<int:room_id>/messages"): everyone(401, form={"text": "hi"}),
    # The thread of alice's message (<int:seq> is its seq): read, reply, follow, unfollow.
    ("GET", "/rooms/<int:room_id>/threads/<int:seq>"): in_the_room(200),
    ("POST", "/rooms/<int:room_id>/threads/<int:seq>/messages"): in_the_room(
        303, form={"body": "in the thread"}),
    ("POST", "/rooms/<int:room_id>/threads/<int:seq>/following"): in_the_room(303),
    ("POST", "/rooms/<int:room_id>/threads/<int:seq>/following/deletion"): in_the_room(303),
    ("GET", "/threads"): signed_in_only(200),
}
# The same visitors on alice and bob's direct room (carol, the invitee of the private room, is
# an outsider here) with alice's sealed message. Routes not listed behave as in MATRIX.
DIRECT_MATRIX: dict[tuple[str, str], Expect] = {
    ("GET", "/rooms/<int:room_id>"): in_the_room(200),
    ("GET", "/rooms/<int:room_id>/messages"): in_the_room(200, query="?after=0"),
    ("POST", "/rooms/<int:room_id>/messages"): in_the_room(400),  # no envelope: JS needed
    ("POST", "/rooms/<int:room_id>/read-marker"): in_the_room(303),
    ("GET", "/rooms/<int:room_id>/keys"): in_the_room(200),
    ("POST", "/rooms/<int:room_id>/members"): in_the_room(303, form={"username": "dave"}),
    ("POST", "/rooms/<int:room_id>/files"): in_the_room(400),  # no blob: refused, saying so
    ("POST", "/rooms/<int:room_id>/invitations"): in_the_room(403, form={"username": "dave"}),
    ("POST", "/rooms/<int:room_id>/membership"): in_the_room(303),
    ("POST", "/rooms/<int:room_id>"): in_the_room(403, form={"name": "renamed"}),
    ("GET", "/rooms/<int:room_id>/export.html"): in_the_room(403),
    ("GET", "/rooms/<int:room_id>/export.json"): in_the_room(403),
    ("POST", "/rooms/<int:room_id>/involvement"): in_the_room(303, form={"involvement": "everything"}),
    ("GET", "/rooms/<int:room_id>/messages/<int:message_id>/edit"): in_the_room(403, 200),
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>"): in_the_room(403,
                                                                           form={"body": "new"}),
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>/deletion"): in_the_room(403, 303),
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>/reactions"): in_the_room(
        303, form={"emoji": "👍"}),
    ("GET", "/rooms/<int:room_id>/messages/<int:message_id>/revisions"): in_the_room(200),
    # No previews in a direct room, and its messages cannot be edited: refused to all.
    ("POST", "/rooms/<int:room_id>/messages/<int:message_id>/link-preview/deletion"):
        in_the_room(403),
    ("POST", "/rooms/<int:room_id>/members/<int:user_id>/removal"): in_the_room(403, 303),
    ("POST", "/rooms/<int:room_id>/membership/deletion"): in_the_room(303),
    ("WS", "/ws"): Expect(WS_REFUSED, WS_DEAF_TO_ROOM, WS_DEAF_TO_ROOM, WS_HEARS_ROOM,
                          WS_HEARS_ROOM, WS_DEAF_TO_ROOM, WS_REFUSED, query="?room=<int:room_id>"),
    # Webhooks never post into a private conversation; the admin page does not list them.
    ("GET", "/rooms/<int:room_id>/webhooks"): in_the_room(403),
    ("POST", "/rooms/<int:room_id>/webhooks"): in_the_room(403, form={"name": "CI"}),
    ("POST", "/rooms/<int:room_id>/webhooks/<int:webhook_id>/revocation"): in_the_room(403),
    ("POST", "/admin/rooms/<int:room_id>/archival"): Expect(LOGIN, 403, 403, 403, 403, 404, LOGIN),
    ("GET", "/rooms/<int:room_id>/threads/<int:seq>"): in_the_room(200),
    ("POST", "/rooms/<int:room_id>/threads/<int:seq>/messages"): in_the_room(400),  # no envelope
    ("POST", "/rooms/<int:room_id>/threads/<int:seq>/following"): in_the_room(303),
    ("POST", "/rooms/<int:room_id>/threads/<int:seq>/following/deletion"): in_the_room(303),
    ("POST", "/admin/rooms/<int:room_id>/archival/deletion"): Expect(LOGIN, 403, 403, 403, 403,
                                                                     404, LOGIN),
    ("POST", "/admin/rooms/<int:room_id>/everyone"): Expect(LOGIN, 403, 403, 403, 403, 404, LOGIN),
    ("POST", "/admin/rooms/<int:room_id>/everyone/deletion"): Expect(LOGIN, 403, 403, 403, 403,
                                                                     404, LOGIN),
    ("POST", "/admin/bots/<int:bot_id>/rooms/<int:room_id>/deletion"): Expect(
        LOGIN, 403, 403, 403, 403, 404, LOGIN),
    ("GET", "/api/bot/rooms/<int:room_id>/messages"): everyone(401),
    ("POST", "/api/bot/rooms/<int:room_id>/messages"): everyone(401, form={"text": "hi"}),
}
CASES = [(key, persona) for key in MATRIX for persona in PERSONAS]
DIRECT_CASES = [(key, persona) for key in DIRECT_MATRIX for persona in PERSONAS]


def app_routes(app: Quart) -> set[tuple[str, str]]:
    """(method, rule) for every route; websocket routes appear as ("WS", rule)."""
    routes = set()
    for rule in app.url_map.iter_rules():
        methods = {"WS"} if rule.websocket else (rule.methods or set()) - {"HEAD", "OPTIONS"}
        routes |= {(method, rule.rule) for method in methods}
    return routes - EXEMPT


async def test_every_route_has_an_entry_in_the_matrix(app: Quart) -> None:
    routes = app_routes(app)

    assert sorted(routes - MATRIX.keys()) == [], "routes with no entry in MATRIX"
    assert sorted(MATRIX.keys() - routes) == [], "MATRIX entries for routes that are gone"
    assert sorted(DIRECT_MATRIX.keys() - routes) == [], "DIRECT_MATRIX entries for gone routes"
    # Every route about one room is checked on a direct room too.
    assert sorted(r for r in routes if "<int:room_id>" in r[1] and r not in DIRECT_MATRIX) == \
        [], "room routes with no entry in DIRECT_MATRIX"


@pytest.mark.parametrize(("key", "persona"), CASES,
                         ids=[f"{m} {r} as {p}" for (m, r), p in CASES])
async def test_each_visitor_gets_what_the_matrix_says(app: Quart, key: tuple[str, str],
                                                      persona: str) -> None:
    await _check(MATRIX[key], key, persona, await _private_room_world(app))


@pytest.mark.parametrize(("key", "persona"), DIRECT_CASES,
                         ids=[f"direct {m} {r} as {p}" for (m, r), p in DIRECT_CASES])
async def test_each_visitor_of_a_direct_room_gets_what_the_matrix_says(
        app: Quart, key: tuple[str, str], persona: str) -> None:
    world = await _private_room_world(app)

    await _check(DIRECT_MATRIX[key], key, persona, {**world, **await _direct_room(world)})


async def _check(expect: Expect, key: tuple[str, str], persona: str,
                 world: dict[str, Any]) -> None:
    method, rule = key
    path = fill_path(rule + expect.query, world)
    visitor: Person = world[persona]

    if method == "WS":
        assert await _socket_outcome(visitor, world, path,
                                     getattr(expect, persona)) == getattr(expect, persona)
        return
    if method == "GET":
        response = await visitor.get(path)
    else:
        response = await visitor.post(path, expect.form)

    assert response.status_code == getattr(expect, persona), await response.get_data(as_text=True)


def fill_path(rule: str, world: dict[str, Any]) -> str:
    """The rule with the world's ids, key and tokens in place of its parameters."""
    return rule.replace("<int:room_id>", str(world["room_id"])) \
        .replace("<int:invitation_id>", str(world["invitation_id"])) \
        .replace("<int:user_id>", str(world["member_id"])) \
        .replace("<int:message_id>", str(world["message_id"])) \
        .replace("<int:seq>", str(world["message_seq"])) \
        .replace("<int:subscription_id>", str(world["subscription_id"])) \
        .replace("<int:key_id>", str(world["key_id"])) \
        .replace("<key>", world["image_key"]).replace("<file_key>", world["file_key"]) \
        .replace("<username>", "bob") \
        .replace("/unsubscribe/<token>", f"/unsubscribe/{world['unsubscribe_token']}") \
        .replace("/reset/<token>", f"/reset/{world['reset_token']}") \
        .replace("<int:webhook_id>", str(world["webhook_id"])) \
        .replace("<int:run_id>", str(world["import_run_id"])) \
        .replace("<int:bot_id>", str(world["bot_id"])) \
        .replace("/join/<token>", f"/join/{world['join_token']}") \
        .replace("/verification/<token>", f"/verification/{world['verify_token']}") \
        .replace("/hooks/<token>", f"/hooks/{world['webhook_token']}")


async def _socket_outcome(visitor: Person, world: dict[str, Any], path: str,
                          expected: int) -> int:
    """Refused (its close code), or whether the socket is subscribed to the room's frames."""
    room_id = world["room_id"]
    registry = visitor.app.extensions["realtime"].registry
    async with visitor.client.websocket(path) as ws:
        if visitor.user_id is None or expected == WS_REFUSED:  # a refusal must be a close
            with pytest.raises(SocketClosed) as closed:
                await next_frame(ws)
            return closed.value.code
        await registered(visitor)
        conn = next(iter(registry.by_user[visitor.user_id]))
        hears = conn in registry.by_room.get(room_id, set()) and conn.room_id == room_id
        if hears:  # and a member really gets the room's next message
            await world["say"](await User.get(id=visitor.user_id))
            await frame_matching(ws, ".message")
        return WS_HEARS_ROOM if hears else WS_DEAF_TO_ROOM


async def _private_room_world(app: Quart) -> dict[str, Any]:
    """alice owns a private room with a message and a webhook; bob is a member; carol is
    invited; mallory is an outsider; dave exists so he can be invited; erin runs the instance;
    grace was a member until erin deactivated her."""
    users = {name: await User.create(username=name, username_key=name, password_hash=_hash(),
                                     email=f"{name}@example.com", is_admin=name == "erin")
             for name in ("alice", "bob", "carol", "mallory", "dave", "erin", "grace")}
    room = await create_room(users["alice"], "secret plans", "", "private")
    await accept_invitation(await invite_member(room, users["alice"], "bob", grace=timedelta(0)))
    await accept_invitation(await invite_member(room, users["alice"], "grace",
                                                grace=timedelta(0)))
    webhook, webhook_token = await create_webhook(room, users["alice"], "CI")
    bot, _ = await create_bot("helperbot", "")
    await add_bot_to_room(bot, room)
    invitation = await invite_member(room, users["alice"], "carol", grace=timedelta(0))
    photo = await create_message(room, users["alice"], "the plan", None, max_chars=100,
                                 grace=timedelta(0), image=_png(),
                                 media=media_settings(settings_of(app)))
    notes = await create_message(room, users["alice"], "", None, max_chars=100,
                                 grace=timedelta(0), file=UploadedFile("notes.txt", b"plans\n"),
                                 media=media_settings(settings_of(app)))
    world: dict[str, Any] = {"room_id": room.id, "invitation_id": invitation.id,
                             "message_id": photo.id, "message_seq": photo.seq,
                             "subscription_id": (
                                 await PushSubscription.create(
                                     user=users["bob"], session=await create_session(users["bob"]),
                                     endpoint="https://push.example.com/bob",
                                     p256dh="BP" + "A" * 85, auth="A" * 22)).id,
                             "image_key": (await MediaFile.get(id=photo.image_id)).key,
                             "file_key": (await Attachment.get(id=notes.attachment_id)).key,
                             "member_id": users["bob"].id, "anonymous": Person(app, "anonymous"),
                             "key_id": (await PublicKey.create(user_id=users["alice"].id,
                                                               algorithm="X25519",
                                                               public_key="k" * 43)).id,
                             "users": users,
                             "say": lambda author: create_message(
                                 room, author, "live", None, max_chars=100, grace=timedelta(0)),
                             "unsubscribe_token": unsubscribe_token(SECRET, users["bob"].id),
                             "reset_token": password_reset_token(SECRET, users["bob"]),
                             "verify_token": email_verification_token(SECRET, users["bob"]),
                             "webhook_id": webhook.id, "webhook_token": webhook_token,
                             "join_token": (await get_instance()).join_token,
                             "import_run_id": (await ImportRun.create(
                                 source="slack", file_name="export.zip", days_total=1)).id,
                             "bot_id": bot.id}
    for persona, name in (("outsider", "mallory"), ("invitee", "carol"), ("member", "bob"),
                          ("owner", "alice"), ("admin", "erin"), ("deactivated", "grace")):
        world[persona] = await signed_in(app, users[name])
    async with app.app_context():  # the action drops this process's cached sessions at once
        await deactivate_user(users["erin"], users["grace"])  # after her browser got its cookie
    return world


async def _direct_room(world: dict[str, Any]) -> dict[str, Any]:
    """alice and bob's direct room (bob has a key too) with a sealed message from alice."""
    users = world["users"]
    bob_key = await PublicKey.create(user_id=users["bob"].id, algorithm="X25519",
                                     public_key="b" * 43)
    room = await start_direct_room(users["alice"], [users["bob"]])
    keys = [world["key_id"], bob_key.id]
    message = await create_sealed_message(room, users["alice"], json.dumps(
        sealed_envelope(world["key_id"], keys)), None, grace=timedelta(0))

    async def say(author: User) -> None:
        mine = world["key_id"] if author.id == users["alice"].id else bob_key.id
        await create_sealed_message(room, author, json.dumps(sealed_envelope(mine, keys)), None,
                                    grace=timedelta(0))

    return {"room_id": room.id, "message_id": message.id, "message_seq": message.seq, "say": say}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


@cache
def _hash() -> str:
    return hash_password("matrix password")  # argon2 is slow on purpose: hash once per run
