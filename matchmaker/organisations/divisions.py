"""Vietnam's current administrative divisions (34 provinces, 3,321 wards since 1 July 2025).

The source is the ``vietnam-provinces`` package (GSO codes; data version 2025-10-18). Codes are
integers as the package gives them (Nghệ An is 40); lists come in Vietnamese alphabetical
order of the proper name (:func:`matchmaker.text.sort_key`, ignoring "Thành phố", "Phường", …).
"""

from functools import cache

from vietnam_provinces import Province, Ward
from vietnam_provinces.lookup import WARD_MAPPING

from matchmaker.text import sort_key

# Sorted by the proper name: "Thành phố Hà Nội" under H, "Xã Diễn Châu" under D.
_TYPE_PREFIXES = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ")


def _name_order(item: tuple[int, str]) -> tuple:
    name = item[1]
    for prefix in _TYPE_PREFIXES:
        if name.startswith(prefix):
            return sort_key(name[len(prefix):]), sort_key(name)
    return sort_key(name), sort_key(name)


@cache
def provinces() -> tuple[tuple[int, str], ...]:
    """``((code, name), ...)`` for the 34 current provinces, sorted by Vietnamese name."""
    items = [(int(p.code), p.name) for p in Province.iter_all()]
    return tuple(sorted(items, key=_name_order))


@cache
def _province_names() -> dict[int, str]:
    return dict(provinces())


def province_name(code: int | None) -> str:
    """The province's name, or ``""`` for None or an unknown code."""
    return _province_names().get(code, "") if code is not None else ""


def is_province(code: int | None) -> bool:
    """True for a current province code."""
    return code in _province_names()


@cache
def _wards_by_province() -> dict[int, tuple[tuple[int, str], ...]]:
    grouped: dict[int, list[tuple[int, str]]] = {}
    for ward in WARD_MAPPING.values():
        grouped.setdefault(int(ward.province_code), []).append((int(ward.code), ward.name))
    return {code: tuple(sorted(items, key=_name_order)) for code, items in grouped.items()}


def wards(province_code: int) -> tuple[tuple[int, str], ...]:
    """``((code, name), ...)`` for the wards/communes of a province; empty for unknown codes."""
    return _wards_by_province().get(province_code, ())


def ward(code: int | None) -> Ward | None:
    """The ``vietnam_provinces.Ward`` with this code, or None."""
    if code is None:
        return None
    return WARD_MAPPING.get(code)


def ward_in_province(ward_code: int | None, province_code: int | None) -> bool:
    """True when ``ward_code`` is a current ward of ``province_code``."""
    found = ward(ward_code)
    return found is not None and int(found.province_code) == province_code
