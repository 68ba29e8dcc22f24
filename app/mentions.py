"""@username mentions: one pattern for highlighting them and for e-mailing those mentioned.

A backslash before the @ (`\\@name`, Markdown's escape) writes the name without mentioning
anyone: it shows as "@name" and e-mails nobody.
"""

from __future__ import annotations

import re

MENTION = re.compile(r"(?<![\w@.\\])@([A-Za-z0-9][A-Za-z0-9_.-]{1,31})")


def mentioned_names(body: str) -> set[str]:
    """Lower-cased usernames written as @name in a message (a trailing dot ends a sentence)."""
    return {name.rstrip(".").lower() for name in MENTION.findall(body)}
