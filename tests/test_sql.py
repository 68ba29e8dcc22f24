"""Raw SQL statements take named parameters: bound in order, casts untouched, typos refused."""

from __future__ import annotations

import pytest

from app.sql import Statement
from app.sql.posting import POST_MESSAGE


def test_named_parameters_become_numbered_ones_once_each() -> None:
    statement = Statement("SELECT :b::int + :a, :b::text, 'x'::text WHERE :a IS NOT NULL")

    assert statement.text == "SELECT $1::int + $2, $1::text, 'x'::text WHERE $2 IS NOT NULL"
    assert statement.args(a=1, b=2) == [2, 1]


def test_a_missing_or_unknown_parameter_is_refused_before_anything_runs() -> None:
    statement = Statement("SELECT :room_id, :author_id")

    with pytest.raises(TypeError, match=r"missing \['author_id'\], unknown \['author'\]"):
        statement.args(room_id=1, author=2)


def test_the_posting_statement_has_no_positional_parameter_left() -> None:
    assert len(POST_MESSAGE.names) == 14
    assert "$15" not in POST_MESSAGE.text and ":room_id" not in POST_MESSAGE.text
