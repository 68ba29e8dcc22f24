"""Draw Parley's app icons (the favicon's speech bubble) as PNGs into static/icons/.

Run `.venv/bin/python scripts/make_icons.py` after changing the drawing; the PNGs it writes are
committed, and tests/test_webapp.py checks they are what this script makes.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "static" / "icons"
BLUE, WHITE = (59, 91, 219, 255), (255, 255, 255, 255)
SUPERSAMPLE = 4
# name -> (size in px, maskable: the bubble kept inside the 80 % safe zone on a full square)
SIZES = {"icon-192.png": (192, False), "icon-512.png": (512, False),
         "maskable-512.png": (512, True), "apple-touch-icon.png": (180, True)}


def draw(size: int, maskable: bool) -> bytes:
    """One icon as PNG bytes: a blue rounded square (full square if maskable), a white bubble."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit = big / 32  # the favicon's 32-unit grid
    if maskable:
        pen.rectangle((0, 0, big, big), fill=BLUE)
        unit *= 0.8
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=8 * unit, fill=BLUE)
    offset = (big - 32 * unit) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * unit, offset + y * unit

    pen.rounded_rectangle((*at(6, 10), *at(26, 22)), radius=2 * unit, fill=WHITE)
    pen.polygon([at(10, 21), at(15, 21), at(10, 26)], fill=WHITE)  # the bubble's tail
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    ICONS.mkdir(parents=True, exist_ok=True)
    for name, (size, maskable) in SIZES.items():
        (ICONS / name).write_bytes(draw(size, maskable))
        print(f"wrote static/icons/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
