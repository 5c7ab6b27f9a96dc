from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchmaker.money import MAX_VND, InvalidAmount, format_vnd, parse_vnd

NBSP = "\u00a0"


# --- parse_vnd: accepted forms -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1.500.000",
        "1500000",
        "1 500 000",
        f"1{NBSP}500{NBSP}000",
        "1.500.000 ₫",
        f"1.500.000{NBSP}₫",
        "1.500.000₫",
        "1.500.000đ",
        "1.500.000 Đ",
        "1.500.000 VND",
        "1.500.000 vnđ",
        "1.500.000 VNĐ",
        "1.500.000 đồng",
        "1,500,000",
        "₫1,500,000",
        "  1.500.000  ",
        1_500_000,
    ],
)
def test_parse_accepts_common_forms(text):
    assert parse_vnd(text) == 1_500_000


def test_parse_nfd_currency_word():
    # "đồng" typed on a keyboard that emits combining marks still parses.
    assert parse_vnd("25.000 \u0111o\u0302\u0300ng") == 25_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        (0, 0),
        ("1.500", 1500),  # one group: still thousands, VND has no decimals
        ("1,500", 1500),
        ("999", 999),
        ("007", 7),
        ("1.000.000.000.000.000", MAX_VND),
        (MAX_VND, MAX_VND),
    ],
)
def test_parse_edge_values(text, expected):
    assert parse_vnd(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", f"{NBSP}\t"])
def test_parse_empty_is_none(text):
    assert parse_vnd(text) is None


# --- parse_vnd: rejected forms -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1.500,5",
        "1500.5",
        "1.500.000,00",
        "1,500,000.00",
        "1.50.000",
        "15.00.000",
        "1.5000",
        "1500.000",  # a leading group has at most three digits
        "15000,000",
        "1500 000",
        "1,500.000",  # mixed separators
        "1.500 000",
        "abc",
        "1500k",
        "1tr5",
        "₫",
        "VND",
        "+1500",
        "₫1.500₫",
        "1 . 500",
        ".500",
        "1.500.",
        "١٥٠٠",  # Arabic-Indic digits
        "1" + " " * 200 + "0",
    ],
)
def test_parse_rejects_bad_format(text):
    with pytest.raises(InvalidAmount) as info:
        parse_vnd(text)
    assert info.value.code == "format"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("text", ["-1.500.000", "-1", "\u22121500", "- 1500 ₫", "-₫1,500", -1])
def test_parse_rejects_negative(text):
    with pytest.raises(InvalidAmount) as info:
        parse_vnd(text)
    assert info.value.code == "negative"
    assert str(info.value) == "Amount must not be negative."


@pytest.mark.parametrize(
    "text", ["1.000.000.000.000.001", "1000000000000001", "9" * 60, MAX_VND + 1]
)
def test_parse_rejects_too_large(text):
    with pytest.raises(InvalidAmount) as info:
        parse_vnd(text)
    assert info.value.code == "too_large"
    assert info.value.message == "Amount must not exceed 1000000000000000 VND."


@pytest.mark.parametrize("value", [1500.0, Decimal("1500"), True, b"1500"])
def test_parse_rejects_other_types(value):
    with pytest.raises(TypeError):
        parse_vnd(value)


def test_invalid_amount_codes_are_stable():
    assert InvalidAmount.CODES == {"format", "negative", "too_large"}
    with pytest.raises(ValueError):
        InvalidAmount("nonsense", "x")


# --- format_vnd ----------------------------------------------------------------------------


def test_format_vi_exact_babel_output():
    # Babel 2.18 / CLDR: "." grouping and a NO-BREAK SPACE before the sign.
    assert format_vnd(1_500_000) == "1.500.000\u00a0₫"
    assert format_vnd(1_500_000, "vi") == "1.500.000\u00a0₫"
    assert format_vnd(1_500_000, "vi_VN") == "1.500.000\u00a0₫"
    assert format_vnd(0) == "0\u00a0₫"
    assert format_vnd(999) == "999\u00a0₫"
    assert format_vnd(MAX_VND) == "1.000.000.000.000.000\u00a0₫"


def test_format_en_exact_babel_output():
    assert format_vnd(1_500_000, "en") == "₫1,500,000"
    assert format_vnd(0, "en") == "₫0"


def test_format_negative_and_none():
    assert format_vnd(-25_000) == "-25.000\u00a0₫"
    assert format_vnd(None) == ""


@pytest.mark.parametrize("value", [1500.5, Decimal("1500"), False])
def test_format_rejects_non_int(value):
    with pytest.raises(TypeError):
        format_vnd(value)


@given(st.integers(min_value=0, max_value=MAX_VND), st.sampled_from(["vi", "en", "vi_VN"]))
def test_format_parse_round_trip(amount, locale):
    assert parse_vnd(format_vnd(amount, locale)) == amount


@given(st.integers(min_value=0, max_value=MAX_VND))
def test_plain_and_grouped_strings_round_trip(amount):
    assert parse_vnd(str(amount)) == amount
    assert parse_vnd(f"{amount:,}") == amount
    assert parse_vnd(f"{amount:,}".replace(",", ".")) == amount
    assert parse_vnd(f"{amount:,}".replace(",", " ") + " VND") == amount


@given(st.text(max_size=40))
def test_parse_never_raises_anything_else(text):
    try:
        result = parse_vnd(text)
    except InvalidAmount as exc:
        assert exc.code in InvalidAmount.CODES
    else:
        assert result is None or 0 <= result <= MAX_VND
