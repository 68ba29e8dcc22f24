"""Reading a Slack workspace export (the zip Slack's "Export data" makes), safely and a day at
a time.

The zip holds `users.json`, `channels.json`, `groups.json` (private channels, when the export
has them), `dms.json`/`mpims.json` (direct messages, in some exports) and one folder per
conversation with one JSON file per day, `general/2024-05-01.json`: a list of messages.
Nothing here writes; `app/actions/slack_import.py` does.

Before anything is read the zip is checked as a whole: a zip at all, at most `max_members`
members and `max_bytes` uncompressed (a "zip bomb" is refused by what its directory
declares; zipfile then never inflates a member beyond its declared size, so the declaration
cannot lie), no member path that climbs out (`..`) or starts at the root. Each JSON file is
read whole, and each is small (a day of one channel; at most `max_file_bytes`), so memory
holds one day at a time whatever the export's size. A JSON file that cannot be read is named
in the refusal (the lists the import needs) or in the report (a day's messages).
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from app.errors import InvalidInput

DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
LISTS = ("users.json", "channels.json", "groups.json", "dms.json", "mpims.json")


@dataclass(frozen=True)
class ExportLimits:
    """What an export may hold before it is refused unread."""

    max_bytes: int = 8 * 1024**3  # uncompressed, all members together
    max_members: int = 500_000
    max_file_bytes: int = 256 * 1024**2  # one JSON file, read whole


@dataclass(frozen=True)
class Channel:
    """A channel of the export: its Slack record, private or not, and its day files in order."""

    record: dict[str, Any]
    private: bool
    days: tuple[str, ...]

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def name(self) -> str:
        return str(self.record.get("name") or self.record["id"])


class UnreadableFile(Exception):
    """A JSON file of the export that is not what Slack writes; `str()` names it and says why."""


def refusal(message: str) -> InvalidInput:
    """The error for an export that cannot be imported at all (shown next to the upload)."""
    return InvalidInput({"export": message})


class SlackExport:
    """An opened, checked export. Use as a context manager (it closes the zip)."""

    def __init__(self, path: str, limits: ExportLimits = ExportLimits()) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise refusal("That file is not a zip archive. Upload the .zip file Slack's "
                          "“Export data” gave you, as it is.") from None
        self.limits = limits
        try:
            self.members = self._checked_members()
            self.root = self._root()
        except InvalidInput:
            self.zip.close()
            raise

    def __enter__(self) -> SlackExport:
        return self

    def __exit__(self, *_: object) -> None:
        self.zip.close()

    # -- the lists ------------------------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        """users.json: everyone of the workspace (people, deleted people, bots)."""
        return self.required_list("users.json")

    def channels(self) -> list[Channel]:
        """Public channels (channels.json), then private ones (groups.json), with their days."""
        found = [(record, False) for record in self.required_list("channels.json")]
        found += [(record, True) for record in self.optional_list("groups.json")]
        return [Channel(record, private, self.days_of(str(record.get("name") or record["id"])))
                for record, private in found]

    def optional_list(self, name: str) -> list[dict[str, Any]]:
        """A top-level list the export may lack (groups.json, dms.json, mpims.json)."""
        return self.required_list(name) if self._member(name) in self.members else []

    def required_list(self, name: str) -> list[dict[str, Any]]:
        """A top-level list of records with an "id"; refused, naming the file, if unreadable."""
        member = self._member(name)
        if member not in self.members:
            raise refusal(f"This zip has no {name}: it does not look like a Slack export. "
                          "Upload the .zip file Slack's “Export data” gave you.")
        try:
            records = self.read_json(member)
        except UnreadableFile as exc:
            raise refusal(f"{exc}. Nothing was imported.") from None
        if not isinstance(records, list) or not all(
                isinstance(r, dict) and isinstance(r.get("id"), str) for r in records):
            raise refusal(f"{name} is not a list of records with an “id”, as Slack writes it. "
                          "Nothing was imported.")
        return records

    # -- the days -------------------------------------------------------------------------------

    def days_of(self, folder: str) -> tuple[str, ...]:
        """The day files of a conversation's folder, oldest first (their names are dates)."""
        prefix = f"{self.root}{folder}/"
        return tuple(sorted(m for m in self.members if m.startswith(prefix)
                            and DAY_FILE.match(m[len(prefix):])))

    def messages(self, member: str) -> list[Any]:
        """One day file's messages; UnreadableFile (naming it) if it is not a list."""
        messages = self.read_json(member)
        if not isinstance(messages, list):
            raise UnreadableFile(f"{self.shown(member)} is not a list of messages")
        return messages

    def folders(self) -> set[str]:
        """Every top-level folder holding day files (channels, and DMs in some exports)."""
        return {m[len(self.root):].split("/", 1)[0] for m in self.members
                if m.startswith(self.root) and "/" in m[len(self.root):]
                and DAY_FILE.match(m.rsplit("/", 1)[1])}

    # -- reading --------------------------------------------------------------------------------

    def read_json(self, member: str) -> Any:
        """A member's JSON; UnreadableFile naming the member when it is not JSON (or too big)."""
        info = self.zip.getinfo(member)
        if info.file_size > self.limits.max_file_bytes:
            raise UnreadableFile(f"{self.shown(member)} is larger than "
                                 f"{self.limits.max_file_bytes // 1024**2} MiB")
        try:
            with self.zip.open(info) as stream:
                data = stream.read(self.limits.max_file_bytes + 1)
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise UnreadableFile(f"{self.shown(member)} is not valid JSON "
                                 f"(line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        except UnicodeDecodeError:
            raise UnreadableFile(f"{self.shown(member)} is not UTF-8 text") from None
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise UnreadableFile(f"{self.shown(member)} cannot be read from the zip "
                                 f"({exc})") from None

    def shown(self, member: str) -> str:
        """A member's name as the person knows it (inside the export's own folder)."""
        return member[len(self.root):]

    def _member(self, name: str) -> str:
        return f"{self.root}{name}"

    def _checked_members(self) -> set[str]:
        infos = self.zip.infolist()
        if len(infos) > self.limits.max_members:
            raise refusal(f"This zip holds {len(infos):,} files; an export may hold at most "
                          f"{self.limits.max_members:,}. Nothing was imported.")
        total = sum(info.file_size for info in infos)
        if total > self.limits.max_bytes:
            raise refusal(f"This zip unpacks to {_size(total)}; an export may unpack to at "
                          f"most {_size(self.limits.max_bytes)}. Nothing was imported.")
        for info in infos:
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts or ":" in info.filename[:3]:
                raise refusal(f"This zip holds a file whose path leaves the export "
                              f"({info.filename[:200]!r}): refused, nothing was imported.")
        return {info.filename for info in infos if not info.is_dir()}

    def _root(self) -> str:
        """"" for an export as Slack makes it; "folder/" when it was re-zipped inside one."""
        if "channels.json" in self.members:
            return ""
        nested = sorted(m[: -len("channels.json")] for m in self.members
                        if m.endswith("/channels.json") and m.count("/") == 1)
        return nested[0] if len(nested) == 1 else ""


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
