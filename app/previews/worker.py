"""The background job: claim pending message links (SKIP LOCKED, with a lease), get each URL's
card from the cache or fetch it once (one process fetches a URL at a time), show it.

A post only writes its link's row; the fetch happens here, after the post was committed and
answered. Failed fetches are cached too, for a short while, so a dead link posted again and
again is not fetched again and again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from quart import Quart
from tortoise import connections

from app.actions.link_previews import show_link_card
from app.media.images import ImageRejected
from app.media.storage import delete_files
from app.media.uploads import media_settings, store_upload
from app.models import LinkPreview, MediaFile, MediaKind, PreviewStatus
from app.outbound import OutboundGuard
from app.polling import stop_task
from app.previews.fetch import FetchFailed, Limits, Request, fetch
from app.previews.page import PageCard, page_card
from config.settings import settings_of

log = logging.getLogger("parley.previews")
POLL_SECONDS = 2.0  # jobs another process queued, and jobs put off, are seen this often
BUSY_RETRY_SECONDS = 1.0  # another process is fetching the same URL: look again after this
KEEP_OK = timedelta(hours=24)  # a card is fetched again for a message posted after this
KEEP_FAILED = timedelta(minutes=10)  # a failure is believed this long
FETCH_LEASE = timedelta(seconds=60)  # a fetch (or a job) abandoned by a crash is retaken
PAGE_TYPES = {"text/html", "application/xhtml+xml"}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
CLAIM = """
UPDATE message_links SET not_before = now() + $1::float8 * interval '1 second'
WHERE id IN (SELECT id FROM message_links WHERE state = 'pending' AND not_before <= now()
             ORDER BY id LIMIT 4 FOR UPDATE SKIP LOCKED)
RETURNING id, url, (SELECT author_id FROM messages WHERE messages.id = message_id) AS author_id
"""
# A fresh row for the URL, or an old one whose time is up: the caller fetches it. No row
# back: another process is fetching it, or its cached answer still holds.
TAKE = """
INSERT INTO link_previews (url, status, fetched_at, title, description, site_name, error)
VALUES ($1, 'fetching', now(), '', '', '', '')
ON CONFLICT (url) DO UPDATE SET status = 'fetching', fetched_at = now()
WHERE link_previews.fetched_at < now() - CASE link_previews.status
    WHEN 'ok' THEN $2::float8 WHEN 'failed' THEN $3::float8 ELSE $4::float8 END
    * interval '1 second'
RETURNING id, image_id
"""


@dataclass(frozen=True)
class Job:
    """A claimed message link."""

    link_id: int
    url: str
    author_id: int


class LinkPreviewer:
    """This process's preview job; `wake()` starts it at once (a post on this process)."""

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.limits = Limits()  # tests shorten the deadline (a public seam, not a setting)
        self.task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Look for jobs now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Do every due job, wait for a wake-up or the poll interval, repeat; never fatal."""
        while True:
            self._wakeup.clear()
            try:
                while await self.do_due():
                    pass
            except Exception:
                log.exception("a pass over the link previews failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), POLL_SECONDS)

    async def do_due(self) -> bool:
        """Deal with up to four due jobs, side by side; False when none was due."""
        conn = connections.get("default")
        rows = await conn.execute_query_dict(CLAIM, [FETCH_LEASE.total_seconds()])
        jobs = [Job(r["id"], r["url"], r["author_id"]) for r in rows]
        await asyncio.gather(*(self._do(job) for job in jobs))
        return bool(jobs)

    async def _do(self, job: Job) -> None:
        try:
            preview = await self.preview_of(job.url, job.author_id)
        except Exception:  # never leave a job to be retaken forever
            log.exception("link preview of %s failed", job.url)
            preview = None
        if preview is not None and preview.status == PreviewStatus.FETCHING:
            await connections.get("default").execute_query(
                "UPDATE message_links SET not_before = now() + $1::float8 * interval '1 second' "
                "WHERE id = $2", [BUSY_RETRY_SECONDS, job.link_id])
            return
        await show_link_card(job.link_id, job.url, preview)

    async def preview_of(self, url: str, owner_id: int) -> LinkPreview | None:
        """The URL's cached card, or a fresh one; a FETCHING row: another process is on it."""
        conn = connections.get("default")
        taken = await conn.execute_query_dict(TAKE, [url, KEEP_OK.total_seconds(),
                                                     KEEP_FAILED.total_seconds(),
                                                     FETCH_LEASE.total_seconds()])
        if not taken:
            return await LinkPreview.get_or_none(url=url)
        row = await LinkPreview.get(id=taken[0]["id"])
        await self._fill(row, owner_id, taken[0]["image_id"])
        return row

    async def _fill(self, row: LinkPreview, owner_id: int, old_image_id: int | None) -> None:
        try:
            card = await self._card(row.url)
            image = await self._image(card.image_url, owner_id) if card.image_url else None
        except FetchFailed as exc:
            _failed(row, str(exc))
            log.info("no link preview for %s: %s", row.url, exc)
        except Exception:  # never leave the row FETCHING until its lease runs out
            _failed(row, "the page could not be read")
            log.exception("link preview of %s failed", row.url)
        else:
            row.status, row.error = PreviewStatus.OK, ""
            row.title, row.description, row.site_name = card.title, card.description, \
                card.site_name
            row.image_id = image.id if image else None
        row.fetched_at = datetime.now(UTC)
        await row.save()
        if old_image_id is not None and old_image_id != row.image_id:
            await _forget_image(old_image_id, self._settings())

    async def _card(self, url: str) -> PageCard:
        page = await fetch(self._request(url, PAGE_TYPES, cut=True), self._guard())
        card = page_card(page.body, page.charset, page.url)
        if card.is_empty:
            raise FetchFailed("the page has no title or description")
        return card

    async def _image(self, url: str, owner_id: int) -> MediaFile | None:
        """The card's image, fetched like the page, then checked and re-encoded like an
        upload (the original is never kept, nor linked to)."""
        try:
            fetched = await fetch(self._request(url, IMAGE_TYPES, cut=False), self._guard())
            stored = await store_upload(fetched.body, MediaKind.PREVIEW,
                                        media_settings(self._settings()), owner=owner_id)
        except (FetchFailed, ImageRejected) as exc:
            log.info("no image for a link preview from %s: %s", url, exc)
            return None
        try:
            return await MediaFile.create(**stored.row_fields(), owner_id=owner_id, room_id=None)
        except BaseException:  # e.g. the author's account was deleted meanwhile
            stored.discard()
            raise

    def _request(self, url: str, types: set[str], *, cut: bool) -> Request:
        base_url = self._settings().base_url
        return Request(url, types.__contains__, f"Parley link preview (+{base_url})", cut,
                       self.limits)

    def _guard(self) -> OutboundGuard:
        guard: OutboundGuard = self.app.extensions["outbound"]
        return guard

    def _settings(self) -> Any:
        return settings_of(self.app)


def _failed(row: LinkPreview, reason: str) -> None:
    row.status, row.error, row.image_id = PreviewStatus.FAILED, reason[:300], None
    row.title = row.description = row.site_name = ""


async def _forget_image(image_id: int, settings: Any) -> None:
    """An old card's image, replaced by a fresh fetch: its row and its files go."""
    media = await MediaFile.get_or_none(id=image_id)
    if media is not None:
        await media.delete()
        delete_files(settings.media_dir, [media.key, media.thumb_key])


async def start_previews(app: Quart) -> LinkPreviewer | None:
    """Start this process's preview job (none when LINK_PREVIEWS is off)."""
    if not settings_of(app).link_previews:
        return None
    previewer = LinkPreviewer(app)
    previewer.task = asyncio.create_task(previewer.run())
    app.extensions["link_previews"] = previewer
    return previewer


async def stop_previews(app: Quart) -> None:
    """Stop the job; a fetch cut off mid-way is retaken after its lease."""
    previewer: LinkPreviewer | None = app.extensions.pop("link_previews", None)
    if previewer:
        await stop_task(previewer.task)
