"""Raw SQL, one typed function per statement: named parameters (`:room_id`) bound by
`Statement`, results returned as dataclasses, and the ORM objects a statement's rows stand
for built by `saved()` (so no caller reaches into Tortoise's internals)."""

from __future__ import annotations

import re
from typing import Any

from tortoise.models import Model

_NAME = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")  # :name, not the :: of a cast


class Statement:
    """A SQL statement written with named parameters, compiled once to asyncpg's `$n`.

    Each name may appear any number of times; `args(**values)` orders the values for the
    compiled text and refuses a missing or an unknown name (a typo fails at once, loudly).
    """

    def __init__(self, text: str) -> None:
        self.names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.names:
                self.names.append(name)
            return f"${self.names.index(name) + 1}"

        self.text = _NAME.sub(number, text)

    def args(self, **values: Any) -> list[Any]:
        """The values in `$n` order."""
        missing = [n for n in self.names if n not in values]
        unknown = sorted(set(values) - set(self.names))
        if missing or unknown:
            raise TypeError(f"statement parameters: missing {missing}, unknown {unknown}")
        return [values[n] for n in self.names]

    async def rows(self, conn: Any, **values: Any) -> list[dict[str, Any]]:
        """Run it on `conn` (a Tortoise client or transaction); every row as a dict."""
        result: list[dict[str, Any]] = await conn.execute_query_dict(self.text,
                                                                     self.args(**values))
        return result


def saved[M: Model](model: type[M], **fields: Any) -> M:
    """The ORM object of a row a statement has just written (fields as returned): usable as if
    loaded (saving it again updates, never inserts a second row)."""
    instance = model(**fields)
    instance._saved_in_db = True
    return instance
