"""The input rules as tables: what text a field takes, booking codes, whole
numbers, dates near today."""

from datetime import date

import pytest

from booking.services.bookings import normalise_code
from booking.services.clock import is_near
from booking.services.text import CONTROL_CHARACTERS, LINE_BREAKS, NOT_UNICODE, text_problem
from booking.web.forms import whole_number
from booking.web.urls import read_date


@pytest.mark.parametrize(
    ("value", "multiline", "any_character", "problem"),
    [
        ("南城中学 报告厅", False, False, None),
        ("Café – “quoted” 😀", False, False, None),
        ("\u202e", False, False, None),  # format characters are not controls
        ("a\x00b", False, False, CONTROL_CHARACTERS),
        ("\x01", True, False, CONTROL_CHARACTERS),
        ("\x1b[31m", True, False, CONTROL_CHARACTERS),
        ("\x7f", False, False, CONTROL_CHARACTERS),
        ("\x85", True, False, CONTROL_CHARACTERS),
        ("\x9f", False, False, CONTROL_CHARACTERS),
        ("a\tb", False, False, LINE_BREAKS),
        ("a\nb", False, False, LINE_BREAKS),
        ("a\rb", False, False, LINE_BREAKS),
        ("a\tb\r\nc", True, False, None),
        ("\ud800", False, False, NOT_UNICODE),
        ("x\udfff", True, False, NOT_UNICODE),
        ("\x00\x01\t\n", False, True, None),  # passwords
        ("pass\ud800word", False, True, NOT_UNICODE),
    ],
)
def test_text_problem(value, multiline, any_character, problem):
    assert text_problem(value, multiline=multiline, any_character=any_character) == problem


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("K7MQ3A", "K7MQ3A"),
        (" k7mq3a ", "K7MQ3A"),
        ("HALL01", "HALL01"),
        ("A" * 12, "A" * 12),
        ("A" * 13, None),
        ("", None),
        ("K7MQ3A\x00", None),
        ("K7-MQ3A", None),
        ("Ｋ７ＭＱ３Ａ", None),
        ("١٢٣", None),
        ("K7MQ%00", None),
    ],
)
def test_normalise_code(raw, code):
    assert normalise_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("1", 1),
        ("0042", 42),
        ("2147483647", 2147483647),
        ("²", None),
        ("１２", None),
        ("٣", None),
        ("-1", None),
        ("1.0", None),
        ("", None),
        (None, None),
        ("9" * 11, None),
    ],
)
def test_whole_number(raw, number):
    assert whole_number(raw) == number


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2026-11-25", date(2026, 11, 25)),
        ("0001-01-01", date(1, 1, 1)),
        ("20261125", None),
        ("2026-1-1", None),
        ("2026-02-30", None),
        ("２０２６-１１-２５", None),
        ("2026-11-25T00:00", None),
        ("", None),
        (None, None),
    ],
)
def test_read_date(raw, day):
    assert read_date(raw) == day


@pytest.mark.parametrize(
    ("day", "near"),
    [
        (date(2026, 12, 2), True),
        (date(2021, 1, 1), True),
        (date(2031, 12, 31), True),
        (date(2020, 12, 31), False),
        (date(2032, 1, 1), False),
        (date(1, 1, 1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_is_near(day, near):
    assert is_near(day, date(2026, 12, 2)) is near
