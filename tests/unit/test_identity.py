import pytest

from booking.services.identity import (
    hash_id_number,
    id_check_char,
    id_number_problem,
    is_mainland_mobile,
    mask_id_number,
    normalise_phone,
)

VALID_ID = "11010519491231002X"  # the GB 11643 standard's own example


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("13800138000", True),
        ("+86 138 0013 8000", True),
        ("0086-19912345678", True),
        ("12800138000", False),  # no mainland mobile starts 12
        ("1380013800", False),
        ("138001380001", False),
        ("1380013800a", False),
        ("", False),
    ],
)
def test_mainland_mobile(raw, valid):
    assert is_mainland_mobile(normalise_phone(raw)) is valid


def test_check_digit_of_the_standard_example():
    assert id_check_char(VALID_ID[:17]) == "X"
    assert id_number_problem(VALID_ID) is None


@pytest.mark.parametrize(
    ("id_number", "problem"),
    [
        ("110105194912310021", "check_digit"),
        ("11010519491231002", "format"),
        ("1101051949123100XX", "format"),
        ("110105194902300029", "birth_date"),  # 30 February
        ("110105180001010020", "birth_date"),
    ],
)
def test_invalid_id_numbers(id_number, problem):
    assert id_number_problem(id_number) == problem


def test_id_number_is_kept_only_masked_and_hashed():
    assert mask_id_number(VALID_ID) == "110***********002X"
    digest = hash_id_number(VALID_ID, "key-1")
    assert VALID_ID not in digest
    assert digest == hash_id_number(VALID_ID, "key-1")
    assert digest != hash_id_number(VALID_ID, "key-2")
