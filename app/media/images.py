"""Checking and re-encoding uploaded images with Pillow, in worker threads with a concurrency limit.

Each person has one image job at a time (a second one waits its turn, for a while), and a job
holds one of WORKERS threads: so one person sending many heavy animations at once keeps at
most one thread busy, and someone else's small image gets the other. A job is bounded before
it starts (pixels, frames, and what the animation costs to encode) and while it runs (a clock
and a CPU allowance, checked at every frame, encoding included).
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
THUMB_BOX = 640  # thumbnails fit in 640×640 and are shown at half size, sharp on HiDPI screens
AVATAR_SIZES = (256, 64)
WORKERS = max(1, min(2, os.cpu_count() or 1))  # a 40 MP decode can take ~160 MB each
# Every frame of an animation is copied, thumbnailed and re-encoded, and each costs time
# however small it is: so frames are capped, and each is charged at least MIN_FRAME_PIXELS
# against the pixel limit (40 MP / 100,000 = at most 400 frames of any size).
MAX_FRAMES = 400
MIN_FRAME_PIXELS = 100_000
# Decoding is cheap next to encoding an animation twice (full size and thumbnail): WebP costs
# ~0.1 µs a pixel on plain frames and more on busy ones. So an animation is charged, before any
# frame is decoded, frames × (frame pixels + thumbnail pixels): 20 M is ~2 s of one core.
MAX_ENCODED_PIXELS = 20_000_000
# A job still running past PROCESS_SECONDS, or past PROCESS_CPU_SECONDS of its thread's CPU
# (a slow machine, a pathological file), is abandoned at its next frame.
PROCESS_SECONDS = 20.0
PROCESS_CPU_SECONDS = 4.0
# How long a person's second image waits for their first to finish (a job takes at most
# PROCESS_SECONDS) before it is refused.
TURN_SECONDS = 2 * PROCESS_SECONDS

NOT_AN_IMAGE = "That file is not an image. Attach a JPEG, PNG, WebP or GIF."
UNSUPPORTED = "{kind} files are not supported. Attach a JPEG, PNG, WebP or GIF."
POLYGLOT = "That file holds HTML or script as well as an image, so it was refused."
DAMAGED = "That image is damaged or incomplete, so it could not be read."
TOO_MANY_PIXELS = "That image is too large in pixels: the limit is {limit} megapixels{animated}."
EMPTY = "That file is empty."
TOO_MANY_FRAMES = "That animation has too many frames: the limit is {limit}."
TOO_SLOW = "That animation takes too long to process. Try a shorter or smaller one."
TOO_COSTLY = ("This animation is too large to process: {frames} frames of {width}×{height} (at "
              "that size the limit is {allowed} frames). Try a shorter or smaller one.")
BUSY = "Your previous image is still being processed. Wait for it, then send this one again."

# Pillow only warns between MAX_IMAGE_PIXELS and twice that; a warning must stop the decode too.
warnings.simplefilter("error", Image.DecompressionBombWarning)

# Markup a browser or interpreter could act on, anywhere in the file: a polyglot is refused.
_MARKUP = re.compile(rb"<(?:html|head|body|script|iframe|svg|object|embed|!doctype)[\s>/]|<\?php",
                     re.IGNORECASE)
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 85, "optimize": True, "progressive": True},
    "PNG": {"compress_level": 6},
    "WEBP": {"quality": 85, "method": 4},
    "GIF": {},
}
_limit = asyncio.Semaphore(WORKERS)


class ImageRejected(Exception):
    """An upload that is not an acceptable image; the message is meant for the uploader."""


@dataclass(frozen=True)
class Rendition:
    """One encoded file: its bytes and pixel size."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    """A re-encoded image (format chosen by us, no metadata) and its smaller rendition."""

    format: str
    content_type: str
    full: Rendition
    thumb: Rendition


class Allowance:
    """The time one image job may take, on the clock and in its thread's CPU; made in the
    worker thread that does the job (the CPU clock is that thread's)."""

    def __init__(self, seconds: float = PROCESS_SECONDS,
                 cpu_seconds: float = PROCESS_CPU_SECONDS) -> None:
        self.deadline = time.monotonic() + seconds
        self.cpu_deadline = time.thread_time() + cpu_seconds

    def check(self) -> None:
        """Raise ImageRejected(TOO_SLOW) once either allowance has run out."""
        if time.monotonic() > self.deadline or time.thread_time() > self.cpu_deadline:
            raise ImageRejected(TOO_SLOW)


class _Turns:
    """One image job per person at a time: each person's jobs queue on their own lock."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # jobs holding or awaiting each lock

    async def take(self, owner: int) -> None:
        """Wait (at most TURN_SECONDS) for `owner`'s previous job; then raise ImageRejected."""
        lock = self._locks.setdefault(owner, asyncio.Lock())
        self._users[owner] = self._users.get(owner, 0) + 1
        try:
            async with asyncio.timeout(TURN_SECONDS):
                await lock.acquire()
        except TimeoutError:
            self._forget(owner)
            raise ImageRejected(BUSY) from None
        except BaseException:
            self._forget(owner)
            raise

    def give_back(self, owner: int) -> None:
        self._locks[owner].release()
        self._forget(owner)

    def busy(self, owner: int) -> bool:
        """`owner` has a job running (tests wait on this)."""
        lock = self._locks.get(owner)
        return lock is not None and lock.locked()

    def _forget(self, owner: int) -> None:
        self._users[owner] -= 1
        if not self._users[owner]:
            del self._users[owner], self._locks[owner]


turns = _Turns()


async def process_image(data: bytes, max_pixels: int, *, owner: int) -> ProcessedImage:
    """Validate and re-encode a message image plus its thumbnail (raises ImageRejected).
    `owner`: the uploader's user id (one job per person at a time)."""
    return await _job(owner, _process_image, data, max_pixels)


async def process_avatar(data: bytes, max_pixels: int, *, owner: int) -> ProcessedImage:
    """Validate an image and make the square avatar sizes from its first frame."""
    return await _job(owner, _process_avatar, data, max_pixels)


async def _job[T](owner: int, work: Callable[..., T], *args: Any) -> T:
    """Run `work` in a worker thread, in `owner`'s turn and one of the WORKERS slots.

    A thread cannot be stopped: if the request goes away (the client left), the turn and the
    slot stay taken until the thread's work ends, so abandoned jobs never pile up.
    """
    await turns.take(owner)
    try:
        await _limit.acquire()
    except BaseException:
        turns.give_back(owner)
        raise

    def finished(done: asyncio.Future[T]) -> None:
        _limit.release()
        turns.give_back(owner)
        if not done.cancelled():
            done.exception()  # seen here too: an abandoned job's refusal is not an error to log

    future = asyncio.get_running_loop().run_in_executor(None, work, *args)
    future.add_done_callback(finished)
    return await asyncio.shield(future)


def _process_image(data: bytes, max_pixels: int) -> ProcessedImage:
    allowance = Allowance()
    image = _open(data, max_pixels)
    fmt = image.format or ""
    if getattr(image, "is_animated", False):
        frames, durations = _frames(image, allowance)
        thumbs = [_thumbnail(_on_time(frame, allowance)) for frame in frames]
        loop = image.info.get("loop", 0)
        full = _encode(frames, fmt, allowance, durations=durations, loop=loop)
        thumb = _encode(thumbs, fmt, allowance, durations=durations, loop=loop)
    else:
        still = _clean_still(image, fmt)
        full, thumb = _encode([still], fmt), _encode([_thumbnail(still)], fmt)
    return ProcessedImage(fmt, CONTENT_TYPES[fmt], full, thumb)


def _process_avatar(data: bytes, max_pixels: int) -> ProcessedImage:
    image = _open(data, max_pixels)
    still = _clean_still(image, "WEBP")
    big_size, small_size = AVATAR_SIZES
    big = ImageOps.fit(still, (big_size, big_size), Image.Resampling.LANCZOS)
    small = big.resize((small_size, small_size), Image.Resampling.LANCZOS)
    return ProcessedImage("WEBP", CONTENT_TYPES["WEBP"], _encode([big], "WEBP"),
                          _encode([small], "WEBP"))


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Decode an allowed format fully, refusing other types, bombs, polyglots and damage."""
    if not data:
        raise ImageRejected(EMPTY)
    other = _other_type(data)
    if other:
        raise ImageRejected(UNSUPPORTED.format(kind=other))
    try:
        with Image.open(BytesIO(data), formats=list(CONTENT_TYPES)) as probe:
            probe.verify()
        image = Image.open(BytesIO(data), formats=list(CONTENT_TYPES))
        _check_pixels(image, max_pixels)
        if _MARKUP.search(data):
            raise ImageRejected(POLYGLOT)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_pixels_message(max_pixels, animated=False)) from None
    except UnidentifiedImageError:
        raise ImageRejected(NOT_AN_IMAGE) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
        raise ImageRejected(DAMAGED) from None
    return image


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    """Pixels × frames under the limit (each frame charged at least MIN_FRAME_PIXELS), at
    most MAX_FRAMES frames, and an encode cost under MAX_ENCODED_PIXELS, checked before any
    frame is decoded."""
    if image.width * image.height > max_pixels:
        raise ImageRejected(_pixels_message(max_pixels, animated=False))
    frames = getattr(image, "n_frames", 1)
    image.seek(0)
    if frames > MAX_FRAMES:
        raise ImageRejected(TOO_MANY_FRAMES.format(limit=MAX_FRAMES))
    if frames > 1 and max(image.width * image.height, MIN_FRAME_PIXELS) * frames > max_pixels:
        raise ImageRejected(_pixels_message(max_pixels, animated=True))
    per_frame = encoded_pixels(image.width, image.height)
    if frames > 1 and frames * per_frame > MAX_ENCODED_PIXELS:
        raise ImageRejected(TOO_COSTLY.format(frames=frames, width=image.width,
                                              height=image.height,
                                              allowed=MAX_ENCODED_PIXELS // per_frame))


def encoded_pixels(width: int, height: int) -> int:
    """The pixels one frame of an animation costs to encode: the frame and its thumbnail."""
    scale = min(1.0, THUMB_BOX / max(width, height, 1))
    return width * height + round(width * scale) * round(height * scale)


def _pixels_message(max_pixels: int, animated: bool) -> str:
    return TOO_MANY_PIXELS.format(limit=f"{max_pixels / 1_000_000:g}",
                                  animated=", counting every frame as at least "
                                           f"{MIN_FRAME_PIXELS / 1_000_000:g} megapixels"
                                  if animated else "")


def _other_type(data: bytes) -> str | None:
    """Name well-known file types we refuse, so the uploader hears why."""
    head = data[:1024].lstrip().lower()
    if b"<svg" in head:
        return "SVG"
    if head.startswith(b"%pdf-"):
        return "PDF"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:2] == b"BM" and len(data) > 26 and data[14] in (12, 40, 52, 56, 64, 108, 124):
        return "BMP"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
        return "AVIF" if data[8:12] == b"avif" else "HEIC"
    return None


def _clean_still(image: Image.Image, fmt: str) -> Image.Image:
    """The first frame, upright, copied pixel by pixel into a fresh image (no EXIF, GPS, XMP)."""
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if fmt == "JPEG":
        mode = "L" if upright.mode == "L" else "RGB"
    else:
        mode = "RGBA" if has_alpha else ("L" if upright.mode in ("L", "1") else "RGB")
    pixels = upright.convert(mode) if upright.mode != mode else upright
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


def _frames(image: Image.Image, allowance: Allowance) -> tuple[list[Image.Image], list[int]]:
    """Every frame of an animation as a clean RGBA image, with its duration."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        rgba = _on_time(frame, allowance).convert("RGBA")
        clean = Image.new("RGBA", rgba.size)
        clean.paste(rgba)
        frames.append(clean)
        durations.append(int(frame.info.get("duration", 100)) or 100)
    return frames, durations


def _on_time(frame: Image.Image, allowance: Allowance) -> Image.Image:
    """The frame, unless the time allowed for this image has run out (then ImageRejected)."""
    allowance.check()
    return frame


class _TimedFrame(Image.Image):
    """A frame that checks the job's allowance whenever an encoder reads it.

    Pillow's animation encoders (WebP, GIF, PNG) read every frame, the first one included,
    through seek() just before encoding it: this is the one place inside the encode loop
    where a job can stop, so an encode over its time ends at the next frame rather than
    after all of them (tests/test_images.py checks this for each format).
    """

    allowance: Allowance

    @classmethod
    def of(cls, frame: Image.Image, allowance: Allowance) -> _TimedFrame:
        timed = cls()
        timed.__dict__.update(frame.__dict__)  # the same pixels, not a copy
        timed.allowance = allowance
        return timed

    def seek(self, frame: int) -> None:
        self.allowance.check()
        super().seek(frame)


def _thumbnail(image: Image.Image) -> Image.Image:
    thumb = image.copy()
    thumb.thumbnail((THUMB_BOX, THUMB_BOX), Image.Resampling.LANCZOS)
    return thumb


def _encode(frames: list[Image.Image], fmt: str, allowance: Allowance | None = None,
            **animation: Any) -> Rendition:
    out = BytesIO()
    options = dict(_SAVE_OPTIONS[fmt])
    if len(frames) > 1:
        if allowance is not None:
            frames = [_TimedFrame.of(frame, allowance) for frame in frames]
        options.update(save_all=True, append_images=frames[1:], **animation)
    frames[0].save(out, format=fmt, **options)
    return Rendition(out.getvalue(), frames[0].width, frames[0].height)
