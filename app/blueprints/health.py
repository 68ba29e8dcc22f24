"""Health check for load balancers and the container HEALTHCHECK."""

from __future__ import annotations

from quart import Blueprint
from tortoise import connections

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def healthz() -> tuple[dict[str, str], int]:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure to reach the database means "not healthy"
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
