"""Vietnamese đồng (VND) amounts: parsing user input and formatting for display.

Amounts are plain ``int`` numbers of đồng. VND has no minor unit in use (ISO 4217 lists
0 decimal digits; CLDR ``currencyData`` agrees), so fractions are always an input error.

Errors are reported with :class:`InvalidAmount`, whose ``code`` is one of a few stable,
machine-readable strings. Its message is English and meant for logs; the form layer must
translate by ``code`` (e.g. a dict of lazy gettext strings) instead of showing the message.
"""

import re
import unicodedata

from babel.numbers import format_currency

__all__ = ["MAX_VND", "InvalidAmount", "format_vnd", "parse_vnd"]

#: Largest accepted amount, 10^15 đồng (about 40 billion USD): anything above is a typo.
MAX_VND = 10**15

# A currency marker may appear once, before or after the number: "₫", "đ", "VND", "VNĐ",
# "đồng" (any case). Babel writes "1.500.000 ₫" for vi and "₫1,500,000" for en.
_CURRENCY = r"(?:₫|vnđ|vnd|đồng|đ)"
_AMOUNT_RE = re.compile(
    rf"""
    (?P<sign>[-\u2212+])?\s*
    (?P<prefix>{_CURRENCY})?\s*
    (?P<number>[0-9][0-9.,\s]*?)
    \s*(?P<suffix>{_CURRENCY})?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Real amounts are under 40 characters; the cap keeps regex backtracking on junk cheap.
_MAX_INPUT_CHARS = 100
# Plain digits, or 1-3 digits followed by groups of exactly three, all with one separator.
_PLAIN_RE = re.compile(r"[0-9]+")
_GROUPED_RES = tuple(re.compile(rf"[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+") for sep in (r"\.", ",", " "))


class InvalidAmount(ValueError):
    """A VND amount that cannot be accepted.

    Attributes:
        code: one of :attr:`CODES`, stable across releases so callers can translate it:
            ``"format"`` (not a whole number with valid grouping: letters, decimals such as
            "1.500,5" or "1500.5", bad groups such as "1.50.000", stray signs),
            ``"negative"`` (a minus sign or a negative int), ``"too_large"`` (> ``MAX_VND``).
        message: English description for logs (also ``str(exc)``); not for end users.
    """

    CODES = frozenset({"format", "negative", "too_large"})

    def __init__(self, code: str, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown InvalidAmount code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


def _check_range(amount: int) -> int:
    if amount < 0:
        raise InvalidAmount("negative", "Amount must not be negative.")
    if amount > MAX_VND:
        raise InvalidAmount("too_large", f"Amount must not exceed {MAX_VND} VND.")
    return amount


def parse_vnd(text: str | int | None) -> int | None:
    """Parse a VND amount typed by a user (or an ``int``) into whole đồng.

    Accepted ``str`` forms (surrounding whitespace ignored; any Unicode space such as NBSP
    counts as a space): plain digits "1500000"; thousands grouped with ".", "," or a space,
    every group after the first exactly three digits and one separator style per number:
    "1.500.000", "1,500,000", "1 500 000"; optionally one currency marker before or after:
    "1.500.000 ₫", "1.500.000đ", "1.500.000 VND", "₫1,500,000". Because VND has no
    decimals, "1.500" and "1,500" both mean 1500.

    Returns: ``int`` in [0, ``MAX_VND``]; ``None`` for ``None``, ``""`` or whitespace only
    (so optional form fields stay empty). Zero is returned as 0; rejecting it is the caller's
    business.

    Raises:
        InvalidAmount: ``code="format"`` for anything else (letters, "1.500,5", "1500.5",
            "1.50.000", "1.500,000", a "+" sign, text over 100 characters);
            ``code="negative"`` for a leading "-"/"−" or a negative int;
            ``code="too_large"`` above ``MAX_VND``.
        TypeError: for other types (``float``, ``Decimal``, ``bool``), which would hide
            rounding: convert explicitly first.
    """
    if text is None:
        return None
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise TypeError(f"parse_vnd expects str, int or None, not {type(text).__name__}")
    if isinstance(text, int):
        return _check_range(text)

    stripped = unicodedata.normalize("NFC", text).strip()
    if not stripped:
        return None
    if len(stripped) > _MAX_INPUT_CHARS:
        raise InvalidAmount("format", "Amount text is too long.")
    match = _AMOUNT_RE.fullmatch(stripped)
    if match is None or (match["prefix"] and match["suffix"]) or match["sign"] == "+":
        raise InvalidAmount("format", f"Not a whole VND amount: {text!r}.")
    number = " ".join(match["number"].split())
    if not (_PLAIN_RE.fullmatch(number) or any(r.fullmatch(number) for r in _GROUPED_RES)):
        raise InvalidAmount("format", f"Not a whole VND amount: {text!r}.")
    if match["sign"]:
        raise InvalidAmount("negative", "Amount must not be negative.")
    return _check_range(int(re.sub(r"[^0-9]", "", number)))


def format_vnd(amount: int | None, locale: str = "vi") -> str:
    """Format whole đồng for display with ``babel.numbers.format_currency(amount, "VND")``.

    Input: ``int`` đồng (negative is allowed and shown with "-"), ``locale`` a Babel locale
    identifier such as "vi", "vi_VN", "en". Output with Babel 2.18 (CLDR 47):

    * ``format_vnd(1500000) == "1.500.000\\u00a0₫"``: "." groups and a NO-BREAK SPACE
      (U+00A0), not an ASCII space, before the sign, so the sign never wraps to a new line.
    * ``format_vnd(1500000, "en") == "₫1,500,000"``: sign first, "," groups, no space.

    No decimals are ever shown. ``None`` gives ``""``. The output always parses back with
    :func:`parse_vnd` for "vi" and "en".

    Raises:
        TypeError: for non-``int`` amounts (``float``/``Decimal``/``bool``), since Babel would
            silently round them.
        babel.core.UnknownLocaleError: for an unknown locale.
    """
    if amount is None:
        return ""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"format_vnd expects int or None, not {type(amount).__name__}")
    return format_currency(amount, "VND", locale=locale)
