"""Reading JSON from outside: what is refused, and that ordinary JSON still reads as before."""

from __future__ import annotations

import pytest

from app.json_input import MAX_DEPTH, UnreadableJson, read_json


def test_ordinary_json_reads_as_json_loads_reads_it() -> None:
    text = '{"text": "héllo [not a bracket] \\"{\\"", "n": [1, 2.5, -3, true, null]}'

    assert read_json(text) == {"text": 'héllo [not a bracket] "{"', "n": [1, 2.5, -3, True, None]}
    assert read_json(text.encode()) == read_json(text)


def test_nesting_is_allowed_up_to_the_limit_and_refused_past_it() -> None:
    read_json("[" * MAX_DEPTH + "]" * MAX_DEPTH)

    with pytest.raises(UnreadableJson, match="nested too deeply"):
        read_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert read_json('{"text": "' + "[{" * 1000 + '"}') == {"text": "[{" * 1000}


@pytest.mark.parametrize("text", ['{"a": "x\\u0000"}', '{"a\\u0000": 1}', '["\\ud800"]',
                                  '{"a": "\\udfff"}'])
def test_text_postgresql_cannot_store_is_refused(text: str) -> None:
    with pytest.raises(UnreadableJson, match="characters we cannot store"):
        read_json(text)


def test_a_proper_surrogate_pair_is_one_character_and_fine() -> None:
    assert read_json('"\\ud83d\\ude00"') == "\U0001F600"


@pytest.mark.parametrize("text", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity",
                                  "9" * 17, str(2**53 + 1), "9" * 5000])
def test_numbers_that_are_not_finite_or_too_large_are_refused(text: str) -> None:
    with pytest.raises(UnreadableJson):
        read_json(f'{{"n": {text}}}')


def test_invalid_json_and_invalid_utf8_are_refused() -> None:
    with pytest.raises(UnreadableJson, match="not valid JSON"):
        read_json("{oops")
    with pytest.raises(UnreadableJson, match="not UTF-8"):
        read_json(b'{"a": "\xff"}')
