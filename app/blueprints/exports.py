"""Downloading a room's history: one self-contained HTML file, or JSON."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from quart import Blueprint, Response, current_app

from app.access import require_exportable
from app.auth import login_required, require_account
from app.live_views.fragments import cached_export, export_fragment, export_with_thread
from app.media.storage import media_path
from app.queries.exports import history_pages, replies_by_root
from app.queries.records import Message, Room
from config.settings import current_settings

blueprint = Blueprint("exports", __name__)


@blueprint.get("/rooms/<int:room_id>/export.html")
@login_required
async def as_html(room_id: int) -> Any:
    user = await require_account()
    room, _ = await require_exportable(user, room_id)
    head = current_app.jinja_env.get_template("exports/room.html")
    root = current_settings().media_dir
    app = current_app._get_current_object()

    async def document() -> AsyncIterator[bytes]:
        yield (await head.render_async(room=room)).encode()
        async for page in history_pages(room):
            replies = await replies_by_root(page)
            async with app.app_context():  # the body streams after the view returned
                for message in page:
                    thread = [(reply, await _data_uri(root, reply))
                              for reply in replies.get(message.id, [])]
                    html = None if thread else cached_export(message)
                    if thread:  # a thread's root, its replies nested: rendered as it is now
                        html = export_with_thread(message, await _data_uri(root, message),
                                                  thread)
                    elif html is None:  # a version not exported lately: thumbnail read once
                        html = export_fragment(message, await _data_uri(root, message))
                    yield html.encode()
        yield b"</ol>\n</body>\n</html>\n"

    return _download(document(), "text/html; charset=utf-8", f"{_slug(room)}.html")


@blueprint.get("/rooms/<int:room_id>/export.json")
@login_required
async def as_json(room_id: int) -> Any:
    user = await require_account()
    room, _ = await require_exportable(user, room_id)

    async def document() -> AsyncIterator[bytes]:
        about = {"id": room.id, "name": room.name, "topic": room.topic,
                 "kind": str(room.kind)}
        yield ('{"room": ' + json.dumps(about) + ', "messages": [').encode()
        first = True
        async for page in history_pages(room):
            replies = await replies_by_root(page)
            for message in page:
                entry = _as_dict(message)
                if message.id in replies:  # a thread's replies, nested under their root
                    entry["replies"] = [_as_dict(reply) for reply in replies[message.id]]
                yield (("" if first else ",") + "\n" + json.dumps(entry)).encode()
                first = False
        yield b"\n]}\n"

    return _download(document(), "application/json; charset=utf-8", f"{_slug(room)}.json")


def _as_dict(message: Message) -> dict[str, Any]:
    # A reply only in its thread has no room seq (None); one also sent to the room has one.
    return {"seq": message.seq if message.seq > 0 else None,
            "in_thread": message.thread_root_id is not None,
            "author": message.author.username,
            "created_at": message.created_at.isoformat(),
            "edited_at": message.edited_at.isoformat() if message.edited_at else None,
            "deleted": message.deleted_at is not None, "body": message.body,
            "image": f"/media/{message.image.key}" if message.image else None,
            "attachment": {"name": message.attachment.name, "size": message.attachment.byte_size,
                           "url": f"/files/{message.attachment.key}"}
            if message.attachment else None,
            "reactions": {emoji: names for emoji, _, names in message.reaction_groups()}}


async def _data_uri(root: Path, message: Message) -> str | None:
    """The message's thumbnail inlined, so the file reads offline (None if it has none)."""
    if message.image is None:
        return None
    try:
        data = await asyncio.to_thread(media_path(root, message.image.thumb_key).read_bytes)
    except OSError:
        return None
    return f"data:{message.image.content_type};base64,{base64.b64encode(data).decode()}"


def _download(body: AsyncIterator[bytes], content_type: str, filename: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _slug(room: Room) -> str:
    name = "".join(c if c.isalnum() else "-" for c in room.name.lower()).strip("-")
    return f"parley-{name or 'room'}-{room.id}"
