"""What an image costs the server: animations are charged by their encode cost before any frame
is decoded, a job stops at its next frame once its time is up (encoding included), and each
person has one image job at a time, so one person's heavy uploads leave room for others'."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from quart import Quart

from app.media import images as imaging
from app.media.images import TOO_SLOW, Allowance, ImageRejected
from app.models import MediaFile, Message
from tests import images
from tests.helpers import WAIT, Person, select_one, stored_files

ALICE, BOB = 1, 2  # owners, as user ids


async def test_a_long_animation_within_the_byte_limit_is_refused_saying_its_size(
        app: Quart, alice: Person, room_id: int) -> None:
    long_one = images.animated("WEBP", 400, (316, 316))  # the review's 6.4 s of CPU
    assert len(long_one) < 1024 * 1024  # well within the upload limit

    response = await alice.post_image(room_id, long_one, htmx=True)

    assert response.status_code == 422
    assert select_one(await response.get_data(), ".field-error").text == (
        "This animation is too large to process: 400 frames of 316×316 (at that size the limit "
        "is 100 frames). Try a shorter or smaller one.")
    assert await Message.all().count() == 0
    assert stored_files(app) == set()


def test_an_animation_too_costly_to_encode_is_refused_before_any_frame_is_decoded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[object] = []
    real_frames = imaging._frames
    monkeypatch.setattr(imaging, "_frames", lambda *a: decoded.append(a) or real_frames(*a))

    with pytest.raises(ImageRejected) as refused:
        imaging._process_image(images.animated("GIF", 300, (400, 300)), 40_000_000)

    assert str(refused.value).startswith("This animation is too large to process: 300 frames "
                                         "of 400×300 (at that size the limit is 83 frames).")
    assert decoded == []


async def test_a_normal_animation_still_works(app: Quart, alice: Person, room_id: int) -> None:
    response = await alice.post_image(room_id, images.animated("WEBP", 30, (320, 240)),
                                      filename="wave.webp")

    media = await MediaFile.get()
    assert response.status_code == 303
    assert (media.format, media.width, media.height) == ("WEBP", 320, 240)
    assert stored_files(app) == {media.key, media.thumb_key}


class Countdown(Allowance):
    """An allowance that runs out at its `left`-th check, and counts the checks."""

    def __init__(self, left: int) -> None:
        super().__init__()
        self.left, self.checks = left, 0

    def check(self) -> None:
        self.checks += 1
        if self.checks >= self.left:
            raise ImageRejected(TOO_SLOW)


@pytest.mark.parametrize("fmt", ["WEBP", "GIF", "PNG"])
def test_an_encode_over_its_time_stops_at_the_next_frame(fmt: str) -> None:
    frames = [imaging.Image.new("RGBA", (64, 64), (n * 20, 0, 0, 255)) for n in range(12)]
    allowance = Countdown(left=3)

    with pytest.raises(ImageRejected) as refused:
        imaging._encode(frames, fmt, allowance, durations=[50] * 12, loop=0)

    assert str(refused.value) == TOO_SLOW
    # The encoder read no frame after the third of twelve: its work stopped there (WebP's
    # encoder seeks back to the first frame as it cleans up: one more check, no more work).
    assert allowance.checks in (3, 4)


def test_the_cpu_allowance_counts_this_jobs_thread_only() -> None:
    allowance = Allowance(seconds=60, cpu_seconds=0.05)
    allowance.check()  # fresh: within both

    spent = threading.Thread(target=lambda: sum(range(3_000_000)))  # another thread's CPU
    spent.start()
    spent.join()
    allowance.check()

    with pytest.raises(ImageRejected):
        while True:  # this thread's own CPU does count
            sum(range(100_000))
            allowance.check()


@pytest.fixture
def held_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[bytes]]]:
    """Jobs for images whose bytes are in the returned list hold their thread until the event
    is set (the test's stand-in for a heavy animation); started ones are recorded in order."""
    release, held, started = threading.Event(), [], []
    real = imaging._process_image

    def holding(data: bytes, max_pixels: int) -> imaging.ProcessedImage:
        if data in held:
            started.append(data)
            release.wait(WAIT)
        return real(data, max_pixels)

    monkeypatch.setattr(imaging, "_process_image", holding)
    holding.started = started  # type: ignore[attr-defined]
    try:
        yield release, held
    finally:
        release.set()  # never leave a worker thread waiting


async def test_one_persons_heavy_images_wait_their_turn_and_leave_room_for_others(
        held_jobs: tuple[threading.Event, list[bytes]]) -> None:
    release, held = held_jobs
    heavy = [images.animated("GIF", 3, (40 + n, 40)) for n in range(3)]
    held.extend(heavy)
    started = imaging._process_image.started  # type: ignore[attr-defined]

    alices = [asyncio.create_task(imaging.process_image(data, 40_000_000, owner=ALICE))
              for data in heavy]
    async with asyncio.timeout(WAIT):
        while not started:
            await asyncio.sleep(0.01)
    bobs = await asyncio.wait_for(
        imaging.process_image(images.still("PNG", (8, 8)), 40_000_000, owner=BOB), WAIT)

    # Bob's tiny PNG is done while Alice's first job still holds her turn; her other two
    # wait for it rather than taking the second worker.
    assert (bobs.full.width, bobs.full.height) == (8, 8)
    assert imaging.turns.busy(ALICE)
    assert len(started) == 1 and not any(task.done() for task in alices)

    release.set()
    done = await asyncio.wait_for(asyncio.gather(*alices), WAIT)
    assert [image.full.width for image in done] == [40, 41, 42]
    assert not imaging.turns.busy(ALICE)


async def test_a_second_image_waiting_too_long_for_the_first_is_refused_clearly(
        held_jobs: tuple[threading.Event, list[bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    release, held = held_jobs
    first = images.animated("GIF", 3, (40, 40))
    held.append(first)
    started = imaging._process_image.started  # type: ignore[attr-defined]
    monkeypatch.setattr(imaging, "TURN_SECONDS", 0.05)

    running = asyncio.create_task(imaging.process_image(first, 40_000_000, owner=ALICE))
    async with asyncio.timeout(WAIT):
        while not started:
            await asyncio.sleep(0.01)
    with pytest.raises(ImageRejected) as refused:
        await imaging.process_image(images.still("PNG", (8, 8)), 40_000_000, owner=ALICE)

    assert str(refused.value) == ("Your previous image is still being processed. Wait for it, "
                                  "then send this one again.")
    release.set()
    assert (await asyncio.wait_for(running, WAIT)).full.width == 40


async def test_a_job_whose_request_went_away_keeps_its_turn_until_its_thread_ends(
        held_jobs: tuple[threading.Event, list[bytes]]) -> None:
    release, held = held_jobs
    first = images.animated("GIF", 3, (40, 40))
    held.append(first)
    started = imaging._process_image.started  # type: ignore[attr-defined]

    abandoned = asyncio.create_task(imaging.process_image(first, 40_000_000, owner=ALICE))
    async with asyncio.timeout(WAIT):
        while not started:
            await asyncio.sleep(0.01)
    abandoned.cancel()  # the client left; the thread cannot be stopped
    with pytest.raises(asyncio.CancelledError):
        await abandoned

    assert imaging.turns.busy(ALICE)  # the thread still works: Alice's next job must wait
    release.set()
    async with asyncio.timeout(WAIT):
        while imaging.turns.busy(ALICE):
            await asyncio.sleep(0.01)
