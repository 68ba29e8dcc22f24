"""The admin page: people (deactivate, reactivate, appoint), rooms (archive, everyone), bots
(make one, its key and photo, its rooms) and the instance."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, flash, redirect, render_template, request, url_for

from app.access import find_bot, find_person, find_room_for_admin, require_admin
from app.actions.archives import archive_room, unarchive_room
from app.actions.avatars import update_avatar
from app.actions.bots import add_bot_to_room, create_bot, remove_bot_from_room, rotate_bot_key
from app.actions.everyone_rooms import mark_everyone_room
from app.actions.instance import (
    effective_policy,
    get_instance,
    regenerate_join_link,
    update_instance,
)
from app.actions.users import deactivate_user, reactivate_user, set_administrator
from app.auth import login_required, require_account
from app.blueprints import read_upload
from app.errors import DomainError, InvalidInput
from app.mail.health import mail_failure, waiting_mail
from app.media.uploads import media_settings
from app.queries.admin import all_people, all_rooms
from app.queries.bots import all_bots, rooms_for_bots
from app.queries.records import SignupPolicy, User
from config.settings import current_settings

blueprint = Blueprint("admin", __name__)


@blueprint.get("/admin")
@login_required
async def show() -> Any:
    return await _admin_page(await _admin())


@blueprint.post("/admin/instance")
@login_required
async def update() -> Any:
    admin = await _admin()
    form = await request.form
    try:
        await update_instance(form.get("name", ""), form.get("signup_policy", ""))
    except InvalidInput as exc:
        return await _admin_page(admin, exc.errors, 400)
    return await _done("The instance settings are saved.", "instance")


@blueprint.post("/admin/join-link")
@login_required
async def new_join_link() -> Any:
    await _admin()
    await regenerate_join_link()
    return await _done("There is a new join link; the old one no longer works.", "instance")


@blueprint.post("/admin/users/<int:user_id>/deactivation")
@login_required
async def deactivate(user_id: int) -> Any:
    admin, person = await _admin(), await find_person(user_id)
    await deactivate_user(admin, person)
    return await _done(f"{person.username} is deactivated and logged out everywhere.", "people")


@blueprint.post("/admin/users/<int:user_id>/reactivation")
@login_required
async def reactivate(user_id: int) -> Any:
    await _admin()
    person = await find_person(user_id)
    await reactivate_user(person)
    return await _done(f"{person.username} can log in again.", "people")


@blueprint.post("/admin/users/<int:user_id>/administrator")
@login_required
async def appoint(user_id: int) -> Any:
    admin, person = await _admin(), await find_person(user_id)
    await set_administrator(admin, person, True)
    return await _done(f"{person.username} is now an administrator.", "people")


@blueprint.post("/admin/users/<int:user_id>/administrator/deletion")
@login_required
async def dismiss(user_id: int) -> Any:
    admin, person = await _admin(), await find_person(user_id)
    await set_administrator(admin, person, False)
    return await _done(f"{person.username} is no longer an administrator.", "people")


@blueprint.post("/admin/rooms/<int:room_id>/archival")
@login_required
async def archive(room_id: int) -> Any:
    await _admin()
    room = await find_room_for_admin(room_id)
    await archive_room(room)
    return await _done(f"The room {room.name} is archived.", "rooms")


@blueprint.post("/admin/rooms/<int:room_id>/archival/deletion")
@login_required
async def unarchive(room_id: int) -> Any:
    await _admin()
    room = await find_room_for_admin(room_id)
    await unarchive_room(room)
    return await _done(f"The room {room.name} is back.", "rooms")


@blueprint.post("/admin/rooms/<int:room_id>/everyone")
@login_required
async def mark_everyone(room_id: int) -> Any:
    admin = await _admin()
    room = await find_room_for_admin(room_id)
    try:
        added = await mark_everyone_room(room, True)
    except InvalidInput as exc:
        return await _admin_page(admin, exc.errors, 400)
    people = "1 person" if added == 1 else f"{added} people"
    return await _done(f"Everyone is in {room.name} now ({people} added), and everyone who "
                       "signs up joins it.", "rooms")


@blueprint.post("/admin/rooms/<int:room_id>/everyone/deletion")
@login_required
async def unmark_everyone(room_id: int) -> Any:
    await _admin()
    room = await find_room_for_admin(room_id)
    await mark_everyone_room(room, False)
    return await _done(f"New people no longer join {room.name}; its members stay.", "rooms")


@blueprint.post("/admin/bots")
@login_required
async def create_bot_account() -> Any:
    admin = await _admin()
    form = await request.form
    try:
        bot, key = await create_bot(form.get("bot_name", ""), form.get("bot_url", ""),
                                    current_app.extensions["outbound"])
    except InvalidInput as exc:
        return await _admin_page(admin, exc.errors, 400)
    return await _admin_page(admin, new_key=(bot.user.username, key, bot.signing_secret))


@blueprint.post("/admin/bots/<int:bot_id>/key")
@login_required
async def rotate_key(bot_id: int) -> Any:
    admin, bot = await _admin(), await find_bot(bot_id)
    key = await rotate_bot_key(bot)
    return await _admin_page(admin, new_key=(bot.user.username, key, bot.signing_secret))


@blueprint.post("/admin/bots/<int:bot_id>/avatar")
@login_required
async def bot_photo(bot_id: int) -> Any:
    admin, bot = await _admin(), await find_bot(bot_id)
    data = await read_upload((await request.files).get("avatar"))
    if data is None:
        return await _admin_page(admin, {"bot_avatar": "Choose an image to upload."}, 400)
    try:
        await update_avatar(bot.user, data, media_settings(current_settings()))
    except DomainError as exc:
        return await _admin_page(admin, {"bot_avatar": exc.message}, exc.status)
    return await _done(f"{bot.user.username}'s photo is updated.", "bots")


@blueprint.post("/admin/bots/<int:bot_id>/rooms")
@login_required
async def add_bot(bot_id: int) -> Any:
    admin, bot = await _admin(), await find_bot(bot_id)
    room_id = (await request.form).get("room_id", "")
    if not (room_id.isascii() and room_id.isdigit()) or len(room_id) > 9:
        return await _admin_page(admin, {"bot_room": "Choose a room."}, 400)
    try:
        room = await find_room_for_admin(int(room_id))
        await add_bot_to_room(bot, room)
    except DomainError as exc:
        return await _admin_page(admin, {"bot_room": exc.message}, exc.status)
    return await _done(f"{bot.user.username} is in {room.name} now.", "bots")


@blueprint.post("/admin/bots/<int:bot_id>/rooms/<int:room_id>/deletion")
@login_required
async def remove_bot(bot_id: int, room_id: int) -> Any:
    await _admin()
    bot, room = await find_bot(bot_id), await find_room_for_admin(room_id)
    await remove_bot_from_room(bot, room.id)
    return await _done(f"{bot.user.username} left the room.", "bots")


async def _admin() -> User:
    return require_admin(await require_account())


async def _done(notice: str, section: str) -> Any:
    await flash(notice, "success")
    return redirect(url_for("admin.show") + f"#{section}", 303)


async def _admin_page(admin: User, errors: dict[str, str] | None = None, status: int = 200,
                      new_key: tuple[str, str, str] | None = None) -> Any:
    """The page; `new_key`: a bot's (name, API key, signing secret), shown this once."""
    instance = await get_instance()
    configured = current_settings().signups
    failure = await mail_failure()
    waiting = await waiting_mail() if failure else 0
    html = await render_template(
        "admin/show.html", admin=admin, instance=instance, errors=errors or {},
        people=await all_people(), rooms=await all_rooms(), policies=list(SignupPolicy),
        policy=effective_policy(instance, configured), policy_fixed=configured is not None,
        join_url=url_for("auth.join", token=instance.join_token, _external=True),
        mail_failure=failure, mail_waiting=waiting, bots=await all_bots(),
        bot_rooms=await rooms_for_bots(), new_key=new_key)
    return html, status
