"""The emoji Parley accepts as reactions, from the `emoji` package, and the picker's data file.

`scripts/emoji-picker-data PATH` writes the searchable picker's JSON (generated at build time,
served as a static file, never committed): `[[emoji, name, [aliases...]], ...]`.
"""

from __future__ import annotations

import json
from functools import cache

import emoji

_FULLY_QUALIFIED = emoji.STATUS["fully_qualified"]


def is_reaction(value: str) -> bool:
    """True for one fully-qualified emoji (what the picker offers), nothing else."""
    data = emoji.EMOJI_DATA.get(value)
    return data is not None and data["status"] == _FULLY_QUALIFIED


@cache
def emoji_name(value: str) -> str:
    """'thumbs up' for 👍: the emoji's CLDR name in words."""
    data = emoji.EMOJI_DATA.get(value)
    return data["en"].strip(":").replace("_", " ") if data else value


def picker_entries() -> list[list[object]]:
    """Every reaction emoji with its name and Slack/GitHub-style aliases, in the package's order."""
    return [[value, emoji_name(value), [a.strip(":") for a in data.get("alias", [])]]
            for value, data in emoji.EMOJI_DATA.items() if data["status"] == _FULLY_QUALIFIED]


def write_picker_file(path: str) -> None:
    """Write the picker's JSON to `path` (run at set-up and in the image build)."""
    with open(path, "w", encoding="utf-8") as out:
        json.dump(picker_entries(), out, ensure_ascii=False, separators=(",", ":"))


# Slack's names that the emoji package does not know as aliases, and its skin-tone suffixes.
_SLACK_NAMES = {"simple_smile": "slightly_smiling_face", "thumbsup_all": "thumbsup"}
_SKIN_TONES = {"2": "\U0001f3fb", "3": "\U0001f3fc", "4": "\U0001f3fd", "5": "\U0001f3fe",
               "6": "\U0001f3ff"}


def slack_reaction(name: str) -> str | None:
    """The reaction emoji for a Slack emoji name ("thumbsup", "+1", "wave::skin-tone-3"),
    or None for a name with no emoji of ours (a workspace's custom emoji)."""
    base, _, tone = name.strip(":").partition("::")
    base = _SLACK_NAMES.get(base, base)
    value = emoji.emojize(f":{base}:", language="alias")
    if not is_reaction(value):
        return None
    toned = value + _SKIN_TONES.get(tone.removeprefix("skin-tone-"), "\x00")
    return toned if is_reaction(toned) else value
