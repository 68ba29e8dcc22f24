"""The emoji Parley accepts as reactions, from the `emoji` package, and the picker's data file.

`python -m app.emoji_set PATH` writes the searchable picker's JSON (generated at build time,
served as a static file, never committed): `[[emoji, name, [aliases...]], ...]`.
"""

from __future__ import annotations

import json
import sys
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


if __name__ == "__main__":
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(picker_entries(), out, ensure_ascii=False, separators=(",", ":"))
