"""Mainland licence plates: normalising what residents type, and telling valid plates apart."""

import pytest

from booking.services.plates import PROVINCES, is_mainland_plate, normalise_plate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("粤B12345", "粤B12345"),
        (" 粤b 12345 ", "粤B12345"),
        ("粤B·12345", "粤B12345"),
        ("粤B・1234d", "粤B1234D"),
        ("粤Ｂ１２３４５", "粤B12345"),  # typed with a full-width input method
        ("京A\u300012345", "京A12345"),  # ideographic space
        ("粤B-123.45", "粤B12345"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_plate(raw, expected):
    assert normalise_plate(raw) == expected


@pytest.mark.parametrize(
    "plate",
    [
        "粤B12345",
        "京AF0236",
        "沪AD1234",  # a regular plate whose serial starts with D
        "川A8K9Z7",
        "粤BD12345",  # new energy, small car
        "粤BFA1234",
        "粤B12345D",  # new energy, large car
        "琼E00000F",
    ],
)
def test_valid_plates(plate):
    assert is_mainland_plate(plate)


@pytest.mark.parametrize(
    "plate",
    [
        "",
        "粤B1234",  # too short
        "粤B123456",  # seven serial characters and no D or F
        "粤I12345",  # I is not an issuing-office letter
        "粤O12345",
        "粤B1234O",  # nor O in the serial
        "粤b12345",  # not normalised
        "AB12345",  # no province
        "港A12345",  # Hong Kong plates are not mainland plates
        "粤B 12345",
        "粤BD1234X",  # new energy: the last four are digits
        "粤BA12345",  # new energy: D or F, not A
        "粤B1234X5D",
        "粤B12345DD",
        "粤B１2345",  # full-width digit, not normalised
    ],
)
def test_invalid_plates(plate):
    assert not is_mainland_plate(plate)


def test_every_province_is_one_character_and_listed_once():
    assert len(PROVINCES) == 31
    assert len(set(PROVINCES)) == 31


@pytest.mark.parametrize("province", list(PROVINCES))
def test_each_province_issues_plates(province):
    assert is_mainland_plate(normalise_plate(f"{province}a·12345"))
