"""Help pages anyone may read: when Parley needs JavaScript, and why."""

from __future__ import annotations

from quart import Blueprint, render_template

blueprint = Blueprint("help", __name__)


@blueprint.get("/help/javascript")
async def javascript() -> str:
    """Which parts of Parley work without JavaScript, and which need it (private messages)."""
    return await render_template("help/javascript.html")
