"""What an import made, found already there, and skipped with the reason: its report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportReport:
    """What an import made, found already there, and skipped (reason -> count)."""

    rooms_created: int = 0
    rooms_found: int = 0
    people_created: int = 0
    people_matched: int = 0
    bots: int = 0
    messages_imported: int = 0
    messages_already: int = 0
    reactions_imported: int = 0
    replies_linked: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] += count

    def to_json(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "skipped"},
                "skipped": dict(self.skipped.most_common())}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportReport:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "skipped"}
        return cls(**known, skipped=Counter(data.get("skipped") or {}))

    def summary(self) -> list[str]:
        """The report as sentences, for the terminal and the admin page."""
        return [
            f"Rooms: {self.rooms_created} created, {self.rooms_found} imported before.",
            f"People: {self.people_created} accounts waiting to be claimed by e-mail, "
            f"{self.people_matched} matched to accounts here, {self.bots} bots.",
            f"Messages: {self.messages_imported:,} imported, {self.messages_already:,} "
            f"imported before; {self.reactions_imported:,} reactions, "
            f"{self.replies_linked:,} thread replies linked.",
        ]
