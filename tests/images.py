"""Real image files for upload tests, made with Pillow (plus a few things that only look like one)."""

from __future__ import annotations

import io
import struct

from PIL import Image

EXIF_ORIENTATION, EXIF_GPS_IFD = 0x0112, 0x8825


def still(fmt: str, size: tuple[int, int] = (800, 600), color: str = "teal") -> bytes:
    """A plain one-frame image in the given Pillow format."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def rotated_jpeg_with_gps() -> bytes:
    """A 200×100 JPEG, red left / blue right, whose EXIF says "rotate 90° clockwise" and where."""
    image = Image.new("RGB", (200, 100), "blue")
    image.paste(Image.new("RGB", (100, 100), "red"), (0, 0))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    exif.get_ifd(EXIF_GPS_IFD).update({1: "N", 2: (52.0, 22.0, 30.0), 3: "E", 4: (4.0, 53.0, 12.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def animated_gif(frames: int = 3, size: tuple[int, int] = (120, 90)) -> bytes:
    """A looping GIF whose frames are different colours."""
    colors = ["red", "green", "blue", "yellow", "purple"]
    images = [Image.new("RGB", size, colors[n % len(colors)]) for n in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=150,
                   loop=0)
    return out.getvalue()


def decompression_bomb(side: int = 10_000) -> bytes:
    """A few kilobytes of PNG that would decode to side² pixels (100 MP by default)."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")
    return out.getvalue()


def animation_bomb(frames: int = 5, size: tuple[int, int] = (4000, 2500)) -> bytes:
    """A few hundred bytes of GIF: a huge canvas redrawn by many 1×1 frames."""
    screen = b"GIF89a" + struct.pack("<HHBBB", *size, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # 100 ms per frame
             + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
             + b"\x02\x02\x44\x01\x00")  # LZW: clear, pixel 0, end
    return screen + loop + frame * frames + b"\x3b"


def svg() -> bytes:
    return (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>')


def png_html_polyglot() -> bytes:
    """A valid PNG with an HTML page after its end: a browser sniffing it could run the script."""
    return still("PNG", (20, 20)) + b"<html><body><script>alert(document.cookie)</script></body></html>"


def truncated(data: bytes) -> bytes:
    """The first half of a file, as an interrupted upload would leave it."""
    return data[: len(data) // 2]


def renamed_exe() -> bytes:
    """The start of a Windows executable (what a "holiday.jpg" might really be)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + \
        b"PE\x00\x00" + bytes(range(256)) * 8


def decode(data: bytes) -> Image.Image:
    """Open stored bytes for assertions."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def animated(fmt: str, frames: int, size: tuple[int, int]) -> bytes:
    """A looping animation in `fmt` (WEBP, GIF or PNG) whose frames differ a little each."""
    images = [Image.new("RGB", size, (n * 7 % 256, 80, 160)) for n in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format=fmt, save_all=True, append_images=images[1:], duration=50, loop=0)
    return out.getvalue()
