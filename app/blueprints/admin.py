"""The admin page: people (deactivate, reactivate, appoint), rooms (archive, everyone), bots
(make one, its key and photo, its rooms) and the instance."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from pathlib import Path
from typing import Any

from quart import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from app.access import find_bot, find_person, find_room_for_admin, require_admin
from app.actions.archives import archive_room, unarchive_room
from app.actions.avatars import update_avatar
from app.actions.bots import add_bot_to_room, create_bot, remove_bot_from_room, rotate_bot_key
from app.actions.everyone_rooms import mark_everyone_room
from app.actions.import_runs import run_import, start_import_run
from app.actions.instance import (
    effective_policy,
    get_instance,
    regenerate_join_link,
    update_instance,
)
from app.actions.slack_import import check_slack_export
from app.actions.users import deactivate_user, reactivate_user, set_administrator
from app.auth import login_required, require_account
from app.blueprints import is_htmx, read_upload
from app.blueprints.errors import request_too_large
from app.errors import DomainError, InvalidInput
from app.mail.health import mail_failure, waiting_mail
from app.media.uploads import format_bytes, media_settings
from app.queries.admin import all_people, all_rooms
from app.queries.bots import all_bots, rooms_for_bots
from app.queries.import_runs import find_import_run, latest_import_run, run_view
from app.queries.records import SignupPolicy, User
from app.rendering import render_fragment
from app.slack_export import ExportLimits
from config.settings import Settings, current_settings

blueprint = Blueprint("admin", __name__)
NO_STORE = {"Cache-Control": "private, no-store"}


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


@blueprint.post("/admin/slack-imports")
@login_required
async def upload_slack_export() -> Any:
    admin = await _admin()
    upload = (await request.files).get("export")
    if upload is None or not upload.filename:
        return await _admin_page(admin, {"export": "Choose the .zip file of your Slack export."},
                                 400)
    path = await _keep_upload(upload)
    limits = export_limits(current_settings())
    try:
        days = await asyncio.to_thread(check_slack_export, str(path), limits)
        run = await start_import_run(admin, upload.filename, days)
    except DomainError as exc:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        return await _admin_page(admin, exc.errors, exc.status)
    current_app.add_background_task(run_import, run.id, path, limits)
    return redirect(url_for("admin.slack_import", run_id=run.id), 303)


@blueprint.get("/admin/slack-imports/<int:run_id>")
@login_required
async def slack_import(run_id: int) -> Any:
    await _admin()
    run = await find_import_run(run_id)
    if run is None:
        abort(404)
    view = run_view(run)
    if is_htmx():  # the progress bar polling itself
        return await render_fragment("admin/_import_progress.html", **view), 200, NO_STORE
    return await render_template("admin/import.html", **view), 200, NO_STORE


@blueprint.errorhandler(RequestEntityTooLarge)
async def export_too_large(_error: RequestEntityTooLarge) -> Any:
    """An export over the upload limit: say how to import it all the same."""
    user = await require_account()
    if request.endpoint != "admin.upload_slack_export" or not user.is_admin:
        return await request_too_large(_error)
    limit = format_bytes(current_settings().upload_max_bytes)
    return await _admin_page(user, {"export": (
        f"That export is larger than the upload limit ({limit}). Import it on the server with "
        "“python -m app import-slack export.zip”, or raise UPLOAD_MAX_BYTES.")}, 413)


def export_limits(settings: Settings) -> ExportLimits:
    """What an export may unpack to, from IMPORT_MAX_BYTES and IMPORT_MAX_FILES."""
    return ExportLimits(max_bytes=settings.import_max_bytes,
                        max_members=settings.import_max_files)


async def _keep_upload(upload: FileStorage) -> Path:
    """The uploaded export on disk (under VAR_DIR/imports) until its import ends."""
    folder = current_settings().var_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}.zip"
    await asyncio.to_thread(_copy, upload, path)
    return path


def _copy(upload: FileStorage, path: Path) -> None:
    with path.open("wb") as out:
        shutil.copyfileobj(upload.stream, out, 1024 * 1024)


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
        mail_failure=failure, mail_waiting=waiting, latest_import=await latest_import_run(),
        bots=await all_bots(), bot_rooms=await rooms_for_bots(), new_key=new_key)
    return html, status
