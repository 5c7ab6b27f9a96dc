"""Tax codes (MST, branch MST, 12-digit personal ID for household businesses) and phones."""

import pytest
from stdnum.vn import mst

from matchmaker.organisations.identifiers import (
    InvalidPhone,
    InvalidTaxCode,
    format_phone,
    format_tax_code,
    normalise_phone,
    normalise_tax_code,
    tax_code_kind,
)

# Real-looking MSTs: Nghệ An codes start with 29, Hà Nội with 01; the 10th digit is the
# check digit over the first nine (weights 31 29 23 19 17 13 7 5 3, 10 - sum mod 11).
VALID_MSTS = ["2901234568", "0101234565", "2900789126", "0314687954"]


@pytest.mark.parametrize("code", VALID_MSTS)
def test_the_sample_codes_are_valid_by_stdnum(code):
    assert mst.is_valid(code)
    assert mst.calc_check_digit(code[:9]) == code[9]


@pytest.mark.parametrize(("typed", "stored"), [
    ("2901234568", "2901234568"),
    (" 2901234568 ", "2901234568"),
    ("29.01.234.568", "2901234568"),
    ("2901 234 568", "2901234568"),
    ("0101234565-001", "0101234565001"),  # a branch
    ("0101234565 - 012", "0101234565012"),
    ("0101234565\u2013001", "0101234565001"),  # en dash from a word processor
])
def test_valid_tax_codes_are_stored_as_digits(typed, stored):
    assert normalise_tax_code(typed) == stored


@pytest.mark.parametrize(("typed", "code"), [
    ("2901234567", "checksum"),  # one digit off: the check digit no longer matches
    ("2901234586", "checksum"),  # two digits swapped
    ("0101234565-000", "component"),  # branch 000 does not exist
    ("2900000005", "component"),  # sequence 0000000
    ("290123456", "length"),
    ("29012345680", "length"),
    ("MST2901234568", "format"),
    ("2901234568/001", "format"),
    ("٢٩٠١٢٣٤٥٦٨", "format"),  # Arabic-Indic digits are digits, but not ours
    ("", "empty"),
    ("   ", "empty"),
    (None, "empty"),
])
def test_invalid_tax_codes_say_why(typed, code):
    with pytest.raises(InvalidTaxCode) as caught:
        normalise_tax_code(typed)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


def test_personal_id_only_for_household_businesses():
    # 040 = Nghệ An (birth registration), 0 = male born in the 20th century, 95 = 1995.
    personal_id = "040095001234"
    with pytest.raises(InvalidTaxCode) as caught:
        normalise_tax_code(personal_id)
    assert caught.value.code == "personal_id_not_allowed"
    assert normalise_tax_code("040 095 001 234", allow_personal_id=True) == personal_id
    # 12 digits whose first three are no province code are not a personal ID either way.
    for allowed in (True, False):
        with pytest.raises(InvalidTaxCode) as caught:
            normalise_tax_code("999095001234", allow_personal_id=allowed)
        assert caught.value.code == "personal_id"
    # A household business may also have a normal MST.
    assert normalise_tax_code("2901234568", allow_personal_id=True) == "2901234568"


def test_kind_and_display_of_stored_codes():
    assert tax_code_kind("2901234568") == "mst"
    assert tax_code_kind("0101234565001") == "branch"
    assert tax_code_kind("040095001234") == "personal_id"
    with pytest.raises(ValueError):
        tax_code_kind("12345")
    assert format_tax_code("0101234565001") == "0101234565-001"
    assert format_tax_code("2901234568") == "2901234568"
    assert format_tax_code(None) == ""


@pytest.mark.parametrize(("typed", "e164"), [
    ("0912 345 678", "+84912345678"),
    ("0912.345.678", "+84912345678"),
    ("+84 912 345 678", "+84912345678"),
    ("0084912345678", "+84912345678"),
    ("(0238) 3 844 555", "+842383844555"),  # Nghệ An landline, area code 238
    ("024 3825 1234", "+842438251234"),  # Hà Nội landline
    ("+65 6123 4567", "+6561234567"),  # a foreign buyer, typed with its country code
])
def test_valid_phones_become_e164(typed, e164):
    assert normalise_phone(typed) == e164


@pytest.mark.parametrize(("typed", "code"), [
    ("0912 345 67", "invalid"),  # a digit short
    ("0912 345 6789", "invalid"),  # a digit too many
    ("0112 345 678", "invalid"),  # no such prefix
    ("0912345678abc", "invalid"),
    ("gọi anh Tuấn", "format"),
    ("", "empty"),
    (None, "empty"),
])
def test_invalid_phones_say_why(typed, code):
    with pytest.raises(InvalidPhone) as caught:
        normalise_phone(typed)
    assert caught.value.code == code


def test_phones_are_shown_the_way_people_write_them():
    assert format_phone("+84912345678") == "0912 345 678"
    assert format_phone("+842383844555") == "0238 3844 555"
    assert format_phone("+6561234567") == "+65 6123 4567"
    assert format_phone(None) == ""
    assert format_phone("not a number") == "not a number"
