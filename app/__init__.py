"""Parley: create_app() wires settings, the ORM, auth, CSRF, templates and blueprints.

The app's Settings live in app.extensions (config.settings.settings_of / current_settings);
app.config holds only the keys Quart and quart-auth read themselves.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from quart import Quart
from quart_auth import Unauthorized

from app.actions.instance import get_instance, instance_keys
from app.actions.presence import heartbeat
from app.auth import ParleyAuth, current_account, redirect_to_login
from app.blueprints import DatabaseIntConverter
from app.bots.sender import start_bots, stop_bots
from app.db import asyncpg_dsn, start_orm, stop_orm
from app.heap import settle_startup_heap
from app.live_views import VIEWS, fragment_context, view_jobs
from app.live_views.fragments import FragmentCache
from app.live_views.state import Live
from app.mail.sender import start_mail, stop_mail
from app.outbound import guard_for
from app.previews.worker import start_previews, stop_previews
from app.push.sender import start_push, stop_push
from app.queries.presence import HEARTBEAT_SECONDS
from app.queries.search import SEARCHES_PER_MINUTE
from app.queries.sidebar import Sidebar, sidebar_of
from app.queries.users import LOOKUPS_PER_MINUTE
from app.realtime.runtime import start_realtime, stop_realtime
from app.rendering import compile_templates, register_filters
from app.security import (
    FORM_FIELDS_ALLOWANCE,
    LOGIN_SLOTS,
    SlidingWindow,
    Slots,
    add_security_headers,
    check_csrf,
    check_host,
    csrf_token,
    limit_request_body,
    refuse_nul_bytes,
)
from app.static_files import FOLDER as STATIC_FOLDER
from app.static_files import serve_static_files
from config.settings import ROOT, Settings, attach, settings_of


def create_app(settings: Settings | None = None, database_url: str | None = None) -> Quart:
    """Build the app; `database_url` (resolved by the caller) overrides settings.database_url."""
    settings = settings or Settings.from_env()
    if database_url:
        settings = replace(settings, database_url=database_url)
    app = Quart(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(STATIC_FOLDER))
    attach(app, settings)
    app.config.update(  # only what Quart and quart-auth read themselves
        SECRET_KEY=settings.secret_key,
        QUART_AUTH_COOKIE_SECURE=settings.cookie_secure,
        QUART_AUTH_COOKIE_NAME="parley_auth",
        QUART_AUTH_DURATION=30 * 24 * 3600,
        SESSION_COOKIE_NAME="parley_session",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_SAMESITE="Lax",
        # The largest body any route accepts; routes without uploads lower it per request
        # (limit_request_body), since a per-request limit can only be lowered, never raised.
        MAX_CONTENT_LENGTH=settings.upload_max_bytes + FORM_FIELDS_ALLOWANCE,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.url_map.converters["int"] = DatabaseIntConverter  # before any route is added
    serve_static_files(app)  # versioned URLs, precompressed copies (app/static_files.py)
    ParleyAuth(app)
    # Searches share the connection pool with pages: a third of it at most.
    app.extensions["search_slots"] = asyncio.Semaphore(max(1, settings.db_pool_max // 3))
    app.extensions["login_slots"] = Slots(LOGIN_SLOTS)
    app.extensions["search_limiter"] = SlidingWindow(SEARCHES_PER_MINUTE, 60,
                                                     enabled=settings.rate_limits)
    app.extensions["people_search_limiter"] = SlidingWindow(LOOKUPS_PER_MINUTE, 60,
                                                            enabled=settings.rate_limits)
    # Every connection to an address a user gave (push endpoints) is checked by this guard.
    app.extensions["outbound"] = guard_for(settings.outbound_allowed_networks,
                                           settings.outbound_hosts)
    register_filters(app)
    _register_blueprints(app)
    _register_hooks(app)
    return app


def _register_blueprints(app: Quart) -> None:
    from app.blueprints import (
        addresses,
        admin,
        auth,
        bot_api,
        direct,
        exports,
        files,
        health,
        help,
        hooks,
        invitations,
        keys,
        link_previews,
        mail,
        media,
        members,
        message_changes,
        messages,
        passwords,
        profile,
        push,
        rooms,
        search,
        stream,
        threads,
        users,
        webapp,
        webhooks,
    )

    for module in (health, help, auth, rooms, messages, message_changes, invitations, members,
                   users, media, files, profile, direct, keys, search, exports, stream, mail,
                   passwords, admin, addresses, webhooks, hooks, bot_api, push, webapp,
                   link_previews, threads):
        app.register_blueprint(module.blueprint)


async def _take_instance_keys(app: Quart) -> str:
    """Run on the instance's secrets from the database where the environment sets none;
    returns the instance's bus id (its channel's name on a shared Redis)."""
    settings = settings_of(app)
    keys = await instance_keys(settings.var_dir)
    settings = replace(settings, secret_key=settings.secret_key or keys.secret_key,
                       vapid_private_key=settings.vapid_private_key or keys.vapid_private_key)
    attach(app, settings)
    app.config["SECRET_KEY"] = settings.secret_key
    return keys.bus_id


def _register_hooks(app: Quart) -> None:
    from app.blueprints.errors import register_error_handlers

    @app.before_serving
    async def open_database() -> None:
        settings = settings_of(app)
        if settings.database_url is None:
            raise RuntimeError("no database: set DATABASE_URL or start Parley with `python -m app`")
        await start_orm(settings.database_url, settings.db_pool_max,
                        pooled=settings.transaction_pooler)
        bus_id = await _take_instance_keys(app)
        await start_realtime(app, settings.bus_url or asyncpg_dsn(settings.database_url),
                             VIEWS, fragment_context(app), namespace=bus_id,
                             on_resync=app.extensions["session_cache"].clear,
                             live=Live.over,
                             jobs=lambda dispatcher: [(HEARTBEAT_SECONDS, heartbeat),
                                                      *view_jobs(dispatcher)])
        await start_mail(app)
        await start_push(app)
        await start_previews(app)
        await start_bots(app)
        compile_templates(app)
        app.extensions.setdefault("fragment_cache", FragmentCache())
        settle_startup_heap()  # last: no full collection of start-up's objects while serving

    @app.after_serving
    async def close_database() -> None:
        await stop_previews(app)
        await stop_bots(app)
        await stop_push(app)
        await stop_mail(app)
        await stop_realtime(app)
        await stop_orm()

    app.before_request(check_host)  # first: a foreign Host gets nothing else
    app.before_websocket(check_host)
    app.before_request(limit_request_body)  # before the hooks that read the form
    app.before_request(refuse_nul_bytes)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    app.errorhandler(Unauthorized)(redirect_to_login)
    register_error_handlers(app)

    @app.context_processor
    async def page_context() -> dict[str, Any]:
        user = await current_account()
        push = app.extensions.get("push")
        # Everything around the content of a signed-in page: one statement (queries/sidebar.py).
        around = await sidebar_of(user.id, user.username) if user else Sidebar()
        site_name = around.site_name or (await get_instance()).name
        return {"me": user, "sidebar": around.rooms, "direct_sidebar": around.direct,
                "unread_threads": around.unread_threads,
                "received_invitations": around.invitations,
                "my_key": around.key if user else None,
                "csrf_token": csrf_token, "upload_max_bytes": settings_of(app).upload_max_bytes,
                "push_key": push.keys.application_server_key if push else "",
                "site_name": site_name}
