"""Vietnamese organisation identifiers: tax codes (MST) and phone numbers.

Pure functions with no Flask dependency. Errors are :class:`InvalidTaxCode` /
:class:`InvalidPhone` (both ``ValueError``) carrying a stable ``code``; the form layer
translates by code and never shows the English ``message``.

Outside rules used here:

* MST (mã số thuế): 10 digits, the 10th a check digit over the first nine; a branch adds
  3 digits (001-999), usually written ``0101234567-001``. Checked with python-stdnum
  ``stdnum.vn.mst`` (structure: Circular 86/2024/TT-BTC on tax registration, which replaced
  Circular 105/2020/TT-BTC).
* Personal ID number (số định danh cá nhân, on the CCCD card): 12 digits: a 3-digit code of
  the province where the birth was registered (the 63 pre-2025 GSO province codes, 001-096),
  a century-and-sex digit, 2 digits of the birth year, 6 random digits (Decree
  137/2015/NĐ-CP, Circular 07/2016/TT-BCA). Since 1 July 2025 it is the tax code of
  individuals and household businesses (Circular 86/2024/TT-BTC), so a 12-digit
  number is accepted only for the legal form "household business" (hộ kinh doanh).
* Phone numbers: Google's libphonenumber metadata (``phonenumbers``), default region VN,
  stored in E.164 (``+84912345678``).
"""

import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum.vn import mst

__all__ = [
    "InvalidPhone",
    "InvalidTaxCode",
    "format_phone",
    "format_tax_code",
    "normalise_phone",
    "normalise_tax_code",
    "tax_code_kind",
]

# The 63 province codes in use before the 2025 merger: personal ID numbers keep them.
_OLD_PROVINCE_CODES = frozenset({
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35,
    36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70,
    72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
})
# What people type between digit groups: spaces (any Unicode space), dots, dashes.
_TAX_SEPARATORS = str.maketrans("", "", " .-\u2010\u2011\u2012\u2013\u00a0\u202f")
_MAX_INPUT_CHARS = 40
PERSONAL_ID_LENGTH = 12


class InvalidTaxCode(ValueError):
    """A tax code that cannot be accepted.

    Attributes:
        code: one of :attr:`CODES`, stable so that forms can translate it:
            ``"empty"`` (nothing typed), ``"format"`` (letters or other characters),
            ``"length"`` (not 10, 12 or 13 digits), ``"checksum"`` (the MST check digit
            does not match: usually a typo), ``"component"`` (an impossible MST such as
            sequence ``0000000`` or branch ``000``), ``"personal_id"`` (12 digits that are
            not a personal ID number: unknown province code), ``"personal_id_not_allowed"``
            (a valid-looking 12-digit personal ID given for a legal form other than
            household business).
        message: English text for logs, not for end users.
    """

    CODES = frozenset({"empty", "format", "length", "checksum", "component", "personal_id",
                       "personal_id_not_allowed"})

    def __init__(self, code: str, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown InvalidTaxCode code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidPhone(ValueError):
    """A phone number that cannot be accepted.

    Attributes:
        code: ``"empty"``, ``"format"`` (not a phone number at all) or ``"invalid"``
            (parses, but no such number exists in the numbering plan, e.g. a digit too few).
        message: English text for logs, not for end users.
    """

    CODES = frozenset({"empty", "format", "invalid"})

    def __init__(self, code: str, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown InvalidPhone code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


def _is_personal_id(digits: str) -> bool:
    return len(digits) == PERSONAL_ID_LENGTH and int(digits[:3]) in _OLD_PROVINCE_CODES


def normalise_tax_code(text: str | None, *, allow_personal_id: bool = False) -> str:
    """Check a tax code as typed and return its stored form: digits only.

    Accepted: a 10-digit MST (``"0100233488"``, ``"01.00.233.488"``), a 13-digit branch MST
    (``"0314409058-002"`` -> ``"0314409058002"``), both checked with ``stdnum.vn.mst``
    including the check digit; and, when ``allow_personal_id`` is true (the organisation is a
    household business), a 12-digit personal ID number (``"040095001234"``) whose first three
    digits are a pre-2025 province code. Spaces, dots and dashes between digits are ignored.

    Args:
        text: what the user typed; ``None`` counts as empty.
        allow_personal_id: pass ``True`` for legal form ``household``.

    Returns: 10, 12 or 13 ASCII digits.

    Raises:
        InvalidTaxCode: with ``code`` ``empty``, ``format``, ``length``, ``checksum``,
            ``component``, ``personal_id`` or ``personal_id_not_allowed`` (see the class).
    """
    stripped = (text or "").strip()
    if not stripped:
        raise InvalidTaxCode("empty", "No tax code given.")
    if len(stripped) > _MAX_INPUT_CHARS:
        raise InvalidTaxCode("format", "Tax code text is too long.")
    digits = stripped.translate(_TAX_SEPARATORS)
    # isdecimal() alone would accept Arabic-Indic and other non-ASCII digits.
    if not (digits.isascii() and digits.isdecimal()):
        raise InvalidTaxCode("format", f"Not a tax code: {text!r}.")
    if len(digits) == PERSONAL_ID_LENGTH:
        if not _is_personal_id(digits):
            raise InvalidTaxCode("personal_id", f"Not a personal ID number: {digits}.")
        if not allow_personal_id:
            raise InvalidTaxCode(
                "personal_id_not_allowed",
                "A 12-digit personal ID is a tax code only for household businesses.",
            )
        return digits
    try:
        return mst.validate(digits)
    except stdnum_errors.InvalidLength:
        raise InvalidTaxCode("length", f"A tax code has 10 or 13 digits, not {len(digits)}.") \
            from None
    except stdnum_errors.InvalidChecksum:
        raise InvalidTaxCode("checksum", f"Check digit of {digits} does not match.") from None
    except stdnum_errors.ValidationError:
        raise InvalidTaxCode("component", f"Not a possible tax code: {digits}.") from None


def tax_code_kind(stored: str) -> str:
    """What a stored tax code is: ``"mst"`` (10 digits), ``"branch"`` (13) or
    ``"personal_id"`` (12). Raises ``ValueError`` for anything else."""
    kinds = {10: "mst", 13: "branch", PERSONAL_ID_LENGTH: "personal_id"}
    if not stored.isdecimal() or len(stored) not in kinds:
        raise ValueError(f"not a stored tax code: {stored!r}")
    return kinds[len(stored)]


def format_tax_code(stored: str | None) -> str:
    """Display form of a stored tax code: branches as ``"0314409058-002"``, others as
    stored; ``""`` for ``None``. Never raises."""
    if not stored:
        return ""
    return f"{stored[:10]}-{stored[10:]}" if len(stored) == 13 else stored


def normalise_phone(text: str | None) -> str:
    """Check a phone number as typed and return it in E.164.

    Numbers without a country code are read as Vietnamese: ``"0912 345 678"`` ->
    ``"+84912345678"``, ``"(0238) 3 844 555"`` (a Nghệ An landline) -> ``"+842383844555"``,
    ``"+84 912.345.678"`` and ``"0084912345678"`` likewise. A number of another country is
    accepted when typed with its ``+`` country code (``"+65 6123 4567"``).

    Returns: ``"+"`` followed by up to 15 digits.

    Raises:
        InvalidPhone: ``empty``; ``format`` (letters, too short to parse); ``invalid`` (no
            such number in libphonenumber's metadata, e.g. ``"0912 345 67"``).
    """
    stripped = (text or "").strip()
    if not stripped:
        raise InvalidPhone("empty", "No phone number given.")
    if len(stripped) > _MAX_INPUT_CHARS:
        raise InvalidPhone("format", "Phone number text is too long.")
    try:
        number = phonenumbers.parse(stripped, "VN")
    except phonenumbers.NumberParseException:
        raise InvalidPhone("format", f"Not a phone number: {text!r}.") from None
    # parse() tolerates trailing letters ("0912345678abc" is an extension); we do not.
    if any(ch.isalpha() for ch in stripped) or not phonenumbers.is_valid_number(number):
        raise InvalidPhone("invalid", f"No such phone number: {text!r}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """Display form of a stored E.164 number: Vietnamese numbers in national format
    (``"+84912345678"`` -> ``"0912 345 678"``), others in international format
    (``"+65 6123 4567"``). ``""`` for ``None``; text that does not parse is returned as is.
    Never raises."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return e164
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 84
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)
