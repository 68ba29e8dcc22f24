"""Files of any type: telling images from other files, safe display names, download headers.

An uploaded file name is only ever shown and suggested to the downloader's browser: it is made
safe for both (no path, no control or direction-changing characters, bounded length) and is
never used to name anything on disk.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

NAME_MAX_CHARS = 200  # what a file card shows and a browser is offered
EXTENSION_MAX_CHARS = 16
FALLBACK_NAME = "file"
# An encrypted file of a private conversation (app/actions/sealed_files.py): its real name and
# type are inside the sealed message, so the server only knows it as this.
OPAQUE_CONTENT_TYPE = "application/vnd.parley.opaque"
OPAQUE_NAME = "encrypted"
# The image formats re-encoded and shown inline (app/media/images.py), by name and by content.
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".webp"})
_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
# Characters that mean something to a file system or a shell somewhere: shown as "_".
_RESERVED = set('<>:"/\\|?*')
# Browsers send a quote, CR and LF in a multipart file name as %22, %0D and %0A.
_BROWSER_ESCAPES = re.compile("%(22|0[dDaA])")
_ASCII_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-()+,")
# Icon families, from the guessed content type or the extension.
_KINDS = (
    ("pdf", ("application/pdf",), ()),
    ("archive", ("application/zip", "application/x-tar", "application/gzip",
                 "application/x-7z-compressed", "application/x-rar-compressed",
                 "application/x-bzip2", "application/x-xz"), (".zip", ".tar", ".gz", ".tgz",
                                                              ".7z", ".rar", ".bz2", ".xz")),
    ("sheet", ("text/csv", "application/vnd.ms-excel",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "application/vnd.oasis.opendocument.spreadsheet"), (".csv", ".xlsx", ".ods")),
    ("document", ("application/msword",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "application/vnd.oasis.opendocument.text", "application/rtf"),
     (".doc", ".docx", ".odt", ".rtf")),
)


def claims_to_be_an_image(data: bytes, name: str) -> bool:
    """True when the content starts like a JPEG, PNG, GIF or WebP, or the name says it is one.

    Such a file takes the image path (checked and re-encoded by Pillow) and is refused, saying
    why, if it is not a sound image: it is never stored as a file instead.
    """
    return looks_like_an_image(data) or extension(name) in IMAGE_EXTENSIONS


def looks_like_an_image(data: bytes) -> bool:
    """True when the content starts like one of the re-encoded image formats."""
    return data.startswith(_IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def extension(name: str) -> str:
    """The lower-case extension of a file name (".pdf"), or "" when it has none."""
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def display_name(raw: str | None) -> str:
    """The uploader's file name made safe to show and to offer as a download name.

    Browsers' %22/%0D/%0A escapes undone, then: the last path segment only (either separator),
    Unicode NFC, control and format characters
    (line breaks, NUL, bidirectional overrides) gone, reserved characters as "_", whitespace
    collapsed, no leading or trailing dots or spaces, at most NAME_MAX_CHARS (the extension
    kept); "file" when nothing is left.
    """
    name = _BROWSER_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), raw or "")
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char.isspace():
            kept.append(" ")
        elif category in ("Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append("_" if char in _RESERVED else char)
    name = " ".join("".join(kept).split()).strip(" .")
    if not name:
        return FALLBACK_NAME
    if len(name) > NAME_MAX_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= EXTENSION_MAX_CHARS:
            name = stem[:NAME_MAX_CHARS - len(ext) - 2].rstrip(" .") + "…." + ext
        else:
            name = name[:NAME_MAX_CHARS - 1].rstrip(" .") + "…"
    return name


def guess_content_type(name: str) -> str:
    """A content type guessed from the name (for the icon only; downloads are octet-stream)."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return (guessed or "application/octet-stream")[:100]


def file_kind(name: str, content_type: str) -> str:
    """The icon family of a file: pdf, archive, sheet, document, image, audio, video, text, file."""
    ext = extension(name)
    for kind, types, extensions in _KINDS:
        if content_type in types or ext in extensions:
            return kind
    family = content_type.split("/", 1)[0]
    if family in ("image", "audio", "video", "text"):
        return family
    return "file"


def ascii_name(name: str) -> str:
    """The name for old clients that read only `filename=`: accents dropped, anything else "_"."""
    chars = (c if c in _ASCII_SAFE else "_" for c in unicodedata.normalize("NFKD", name)
             if unicodedata.category(c) != "Mn")  # é is e plus a combining accent: keep the e
    plain = re.sub("_+", "_", "".join(chars)).strip(" ._")
    ext = extension(name)
    if not plain or plain == ext.lstrip("."):
        ascii_ext = ext if ext.isascii() and all(c in _ASCII_SAFE for c in ext) else ""
        return "download" + ascii_ext
    return plain


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII `filename` and the exact UTF-8 `filename*` (RFC 6266/5987)."""
    safe = display_name(name)
    return f"attachment; filename=\"{ascii_name(safe)}\"; filename*=UTF-8''{quote(safe, safe='')}"
