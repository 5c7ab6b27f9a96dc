"""Recognise the province (and ward) in a Vietnamese address, old or new.

Since 1 July 2025 Vietnam has 34 provinces and 3,321 communes/wards, and no districts
(Resolution 202/2025/QH15 on provinces; the standing committee's resolutions of June 2025 on
communes). People and documents keep writing the old ones: "huyện Diễn Châu", "TP. Vinh",
"tỉnh Quảng Bình". :func:`resolve_address` reads such text and returns the *current*
province and, when it can tell, the current ward.

Sources (``data/SOURCE.md``):

* current provinces and wards: the ``vietnam-provinces`` package (via
  :mod:`matchmaker.organisations.divisions`);
* pre-2025 wards and the province each old province became:
  ``data/admin/vn-ward-old-to-new-2025-dvhcvn.csv`` (dvhcvn, MIT);
* pre-2025 districts: ``data/admin/vn-districts-pre-2025.csv``, extracted from the GSO lists
  shipped in ``vietnam-provinces`` 0.2 (2020-02-25) and 0.6.0 (2025-01-04).

Matching folds case, diacritics, đ/Đ, tone placement, punctuation and spacing
(:func:`matchmaker.text.fold`), and understands the type words in front of a name: tỉnh,
thành phố/TP, quận/Q, huyện/H, thị xã/TX, xã, phường/P, thị trấn/TT, đặc khu.
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vietnam_provinces.lookup import WARD_MAPPING

from matchmaker.organisations.divisions import province_name, provinces
from matchmaker.text import fold, normalise, sort_key

__all__ = ["AddressResolution", "resolve_address"]

ADMIN_DIR = Path(__file__).resolve().parents[2] / "data" / "admin"
OLD_TO_NEW_CSV = ADMIN_DIR / "vn-ward-old-to-new-2025-dvhcvn.csv"
DISTRICTS_CSV = ADMIN_DIR / "vn-districts-pre-2025.csv"
WARD_DISTRICTS_CSV = ADMIN_DIR / "vn-wards-pre-2025-districts.csv"


@dataclass(frozen=True)
class AddressResolution:
    """What :func:`resolve_address` recognised.

    Attributes:
        province_code: the current (2025) province code (``vietnam-provinces`` int, Nghệ An
            is 40), or None when the text names no province or several are possible.
        ward_code: the current ward/commune code when exactly one fits, else None.
        candidates: ``((province_code, label), ...)`` in Vietnamese alphabetical order when
            the text fits several provinces (then ``province_code`` is None); else ``()``.
            ``label`` is the province name with the places that matched, e.g.
            ``"Nghệ An (Thị xã Hoàng Mai)"``.
        note: what was recognised, in Vietnamese, for showing to the user.
    """

    province_code: int | None
    ward_code: int | None
    candidates: tuple[tuple[int, str], ...]
    note: str


# Kinds of place, from the widest to the narrowest. An unqualified name is read as the widest
# kind it can be ("Diễn Châu" is the old district before it is the new commune).
PROVINCE, DISTRICT, WARD, OLD_WARD = "province", "district", "ward", "old_ward"


@dataclass(frozen=True)
class _Place:
    kind: str
    name: str  # official name with its type word: "Huyện Diễn Châu"
    province_code: int  # the current province it lies in
    ward_codes: tuple[int, ...] = ()  # current ward(s), for wards and old wards
    old_province: str = ""  # the pre-2025 province, for old places
    # The pre-2025 district itself (districts) or the one(s) an old ward belonged to.
    district_codes: tuple[int, ...] = ()

    def describe(self) -> str:
        now = province_name(self.province_code)
        if self.kind == PROVINCE:
            return f"{self.old_province} (trước 2025) → {now}" if self.old_province else now
        if self.kind in (DISTRICT, OLD_WARD):
            return f"{self.name}, {self.old_province} (trước 2025) → {now}"
        return f"{self.name}, {now}"


# Type words, as folded tokens -> (canonical form, kinds a following name may be).
_PREFIXES: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {
    ("tinh",): ("tinh", (PROVINCE,)),
    ("thanh", "pho"): ("thanh pho", (PROVINCE, DISTRICT)),
    ("tp",): ("thanh pho", (PROVINCE, DISTRICT)),
    ("quan",): ("quan", (DISTRICT,)),
    ("q",): ("quan", (DISTRICT,)),
    ("huyen",): ("huyen", (DISTRICT,)),
    ("h",): ("huyen", (DISTRICT,)),
    ("thi", "xa"): ("thi xa", (DISTRICT,)),
    ("tx",): ("thi xa", (DISTRICT,)),
    ("xa",): ("xa", (WARD, OLD_WARD)),
    ("phuong",): ("phuong", (WARD, OLD_WARD)),
    ("p",): ("phuong", (WARD, OLD_WARD)),
    ("thi", "tran"): ("thi tran", (OLD_WARD, WARD)),
    ("tt",): ("thi tran", (OLD_WARD, WARD)),
    ("dac", "khu"): ("dac khu", (WARD,)),
}
_PREFIX_LENGTHS = sorted({len(p) for p in _PREFIXES}, reverse=True)
_ALL_KINDS = (PROVINCE, DISTRICT, WARD, OLD_WARD)
_KIND_RANK = {PROVINCE: 0, DISTRICT: 1, WARD: 2, OLD_WARD: 2}
_MAX_NAME_TOKENS = 7
# Official names start with one of these; the rest is the proper name.
_OFFICIAL_TYPES = ("thanh pho", "tinh", "quan", "huyen", "thi xa", "xa", "phuong", "thi tran",
                   "dac khu")
# Common ways of writing a province that are not its name (folded).
_PROVINCE_ALIASES = {
    "hcm": 79, "tphcm": 79, "sai gon": 79, "hn": 1, "brvt": 79, "daklak": 66,
}
_SEGMENT_SPLIT = re.compile(r"[,;\n|]+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[^\W_]+")


def _key(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def _bare(name: str) -> str:
    """The folded proper name without its type word; numbered units keep it ("phuong 12")."""
    key = _key(name)
    for kind in _OFFICIAL_TYPES:
        if key.startswith(kind + " "):
            rest = key[len(kind) + 1:]
            return key if rest.isdigit() else rest
    return key


class _Index:
    """Folded name -> places, one dict per kind, built once from the reference data."""

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[str, list[_Place]]] = {k: {} for k in _ALL_KINDS}

    def add(self, key: str, place: _Place) -> None:
        bucket = self.by_kind[place.kind].setdefault(key, [])
        if place not in bucket:
            bucket.append(place)

    def get(self, kind: str, key: str) -> list[_Place]:
        return self.by_kind[kind].get(key, [])


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _add_old_province(index: _Index, name: str, new_code: int) -> None:
    if _bare(name) == _bare(province_name(new_code)):
        return  # "Tỉnh Nghệ An" is still Nghệ An: the current entry covers it
    index.add(_bare(name), _Place(PROVINCE, province_name(new_code), new_code,
                                  old_province=name))


@cache
def _index() -> _Index:
    index = _Index()
    current = {_bare(name): code for code, name in provinces()}
    for code, name in provinces():
        index.add(_bare(name), _Place(PROVINCE, name, code))
    for alias, code in _PROVINCE_ALIASES.items():
        index.add(alias, _Place(PROVINCE, province_name(code), code))

    wards_by_name: dict[tuple[int, str], list[int]] = {}
    for ward in WARD_MAPPING.values():
        code, province = int(ward.code), int(ward.province_code)
        index.add(_bare(ward.name), _Place(WARD, ward.name, province, (code,)))
        wards_by_name.setdefault((province, _bare(ward.name)), []).append(code)

    districts_of_ward: dict[str, list[int]] = {}
    for row in _read(WARD_DISTRICTS_CSV):
        districts_of_ward.setdefault(row["old_ward_code"], []).append(int(row["district_code"]))

    old_provinces: dict[str, int] = {}  # pre-2025 province code -> current province code
    old_wards: dict[str, tuple[str, str, int, set[int]]] = {}
    for row in _read(OLD_TO_NEW_CSV):
        new_code = current[_bare(row["new_province_name"])]
        old_provinces[row["old_province_code"]] = new_code
        _add_old_province(index, row["old_province_name"], new_code)
        targets = old_wards.setdefault(row["old_ward_code"], (
            row["old_ward_name"], row["old_province_name"], new_code, set()))[3]
        matches = wards_by_name.get((new_code, _bare(row["new_ward_name"])), [])
        draft = int(row["new_ward_code_2025_07"])
        # Two current wards of one province may share a folded name; the dvhcvn draft code
        # then tells them apart when it is still valid.
        targets.update([draft] if draft in matches else matches)
    for old_code, (name, old_province, new_code, targets) in old_wards.items():
        index.add(_bare(name), _Place(
            OLD_WARD, name, new_code, tuple(sorted(targets)), old_province,
            tuple(districts_of_ward.get(old_code, ()))))

    for row in _read(DISTRICTS_CSV):
        new_code = old_provinces[row["old_province_code"]]
        _add_old_province(index, row["old_province_name"], new_code)
        index.add(_bare(row["district_name"]), _Place(
            DISTRICT, row["district_name"], new_code, old_province=row["old_province_name"],
            district_codes=(int(row["district_code"]),)))
    return index


@dataclass
class _Mention:
    """A piece of the text (as written) and the places it may be, widest kind first."""

    text: str
    tiers: list[list[_Place]]


class _Tokens:
    """The folded words of one comma-separated part, with the words as written."""

    def __init__(self, segment: str) -> None:
        self.keys: list[str] = []
        self.words: list[str] = []
        for word in _WORD.findall(normalise(segment)):
            for key in _key(word).split():
                self.keys.append(key)
                self.words.append(word)

    def written(self, start: int, end: int) -> str:
        words: list[str] = []
        for word in self.words[start:end]:
            if not words or words[-1] != word:
                words.append(word)
        return " ".join(words)


def _lookup(tokens: _Tokens, start: int, end: int, prefix: tuple[int, str, tuple[str, ...]]
            | None, kinds: Iterable[str] = _ALL_KINDS) -> _Mention | None:
    """The places that ``tokens[start:end]`` names, after a type word ``prefix`` if any."""
    name_start = start + prefix[0] if prefix else start
    if name_start >= end:
        return None
    name = " ".join(tokens.keys[name_start:end])
    if prefix is not None:
        kinds = prefix[2]
        if name.isdigit():
            name = f"{prefix[1]} {name}"
    elif name.isdigit():
        return None  # a bare number is a house or hamlet number, not a place
    index = _index()
    tiers = [places for kind in kinds if (places := index.get(kind, name))]
    return _Mention(tokens.written(start, end), tiers) if tiers else None


def _prefix_at(keys: list[str], i: int) -> tuple[int, str, tuple[str, ...]] | None:
    for length in _PREFIX_LENGTHS:
        found = _PREFIXES.get(tuple(keys[i:i + length]))
        if found is not None:
            return length, found[0], found[1]
    return None


def _parse(tokens: _Tokens, start: int, end: int) -> list[_Mention]:
    """Places named in ``tokens[start:end]``: the whole of it, a province closing it
    ("Con Cuông Nghệ An"), or type-word + name pairs inside free text."""
    if start >= end:
        return []
    prefix = _prefix_at(tokens.keys[:end], start)
    whole = (prefix and _lookup(tokens, start, end, prefix)) or _lookup(tokens, start, end, None)
    if whole is not None:
        return [whole]
    for size in range(min(_MAX_NAME_TOKENS, end - start - 1), 0, -1):
        tail = _lookup(tokens, end - size, end, None, (PROVINCE,))
        if tail is not None:
            head_end = end - size
            for length in _PREFIX_LENGTHS:  # a "tỉnh" / "TP" written before the name
                found = _PREFIXES.get(tuple(tokens.keys[max(start, head_end - length):head_end]))
                if found is not None and PROVINCE in found[1]:
                    head_end -= length
                    break
            return _parse(tokens, start, head_end) + [tail]
    mentions: list[_Mention] = []
    i = start
    while i < end:
        prefix = _prefix_at(tokens.keys[:end], i)
        found = None
        if prefix is not None:
            for stop in range(min(end, i + prefix[0] + _MAX_NAME_TOKENS), i + prefix[0], -1):
                found = _lookup(tokens, i, stop, prefix)
                if found is not None:
                    mentions.append(found)
                    i = stop
                    break
        if found is None:
            i += 1
    return mentions


def _mentions(text: str) -> list[_Mention]:
    found: list[_Mention] = []
    for segment in _SEGMENT_SPLIT.split(text):
        tokens = _Tokens(segment)
        found.extend(_parse(tokens, 0, len(tokens.keys)))
    return found


def _codes(places: Iterable[_Place]) -> set[int]:
    return {p.province_code for p in places}


def _choose(mention: _Mention, allowed: set[int] | None, districts: set[int]) -> list[_Place]:
    """The widest reading of ``mention`` that fits the provinces still ``allowed``; an old
    ward is read in the old ``districts`` named elsewhere in the address when it can be."""
    if districts:
        # An old district in the address means the ward is written the old way too.
        for places in mention.tiers:
            in_district = [p for p in places if p.kind == OLD_WARD
                           and districts.intersection(p.district_codes)]
            if in_district:
                return in_district
    for places in mention.tiers:
        fitting = [p for p in places if allowed is None or p.province_code in allowed]
        if fitting:
            return fitting
    return []


def _label(code: int, places: list[_Place]) -> str:
    names = sorted({p.name for p in places if p.kind != PROVINCE}, key=sort_key)
    province = province_name(code)
    return f"{province} ({', '.join(names)})" if names else province


def resolve_address(text: str) -> AddressResolution:
    """Find the current province (and ward) that ``text`` names.

    ``text`` is any address or part of one, old or new: "Nghệ An", "tp. HCM",
    "Quảng Bình" (merged into Quảng Trị in 2025), "huyện Con Cuông", "TP. Vinh",
    "Thị xã Cửa Lò", "xã Diễn Kim, huyện Diễn Châu, tỉnh Nghệ An", "Phường Vinh Phú".
    Parts separated by commas are read one by one; a name without a type word is read as
    the widest unit it can be (province, then pre-2025 district, then current ward, then
    pre-2025 ward), unless another part rules that out.

    Returns an :class:`AddressResolution`. When the names fit several provinces (a district
    name found in two provinces, a ward name without its province) ``province_code`` is None
    and ``candidates`` lists them for the user to choose. When parts contradict each other
    ("Con Cuông, Hà Tĩnh") the wider unit wins (the province written out) and the note says
    what was ignored. ``ward_code`` is set only when exactly one current ward fits (an old
    ward split in 2025 fits several). Never raises; empty or unknown text gives all None and
    a note saying so.
    """
    mentions = _mentions(text or "")
    if not mentions:
        return AddressResolution(None, None, (), "Không nhận ra tỉnh/thành phố nào.")

    # Wider units first: a province written out decides how a district or ward is read.
    ordered = sorted(mentions, key=lambda m: _KIND_RANK[m.tiers[0][0].kind])
    allowed: set[int] | None = None
    districts: set[int] = set()
    chosen: list[tuple[_Mention, list[_Place]]] = []
    ignored: list[str] = []
    for mention in ordered:
        places = _choose(mention, allowed, districts)
        if not places:
            ignored.append(mention.text)
            continue
        chosen.append((mention, places))
        allowed = _codes(places) if allowed is None else allowed & _codes(places)
        districts.update(c for p in places if p.kind == DISTRICT for c in p.district_codes)

    allowed = allowed or set()  # never empty here: each chosen part keeps at least one province
    by_province: dict[int, list[_Place]] = {}
    for _mention, places in chosen:
        for place in places:
            if place.province_code in allowed:
                by_province.setdefault(place.province_code, []).append(place)
    notes = [f"Bỏ qua “{text}”: không thuộc tỉnh/thành phố đã nêu." for text in ignored]

    if len(allowed) > 1:
        candidates = tuple(sorted(
            ((code, _label(code, by_province[code])) for code in allowed),
            key=lambda c: sort_key(province_name(c[0])),
        ))
        names = ", ".join(f"“{m.text}”" for m, _p in chosen)
        note = f"{names}: có ở nhiều tỉnh/thành phố, hãy chọn một."
        return AddressResolution(None, None, candidates, " ".join([note, *notes]))

    (code,) = allowed
    places = by_province[code]
    ward_codes = {c for p in places if p.kind in (WARD, OLD_WARD) for c in p.ward_codes}
    ward_code = next(iter(ward_codes)) if len(ward_codes) == 1 else None
    if len(ward_codes) > 1:
        notes.append("Chưa rõ xã/phường mới: hãy chọn.")
    described = list(dict.fromkeys(place.describe() for place in places))
    return AddressResolution(code, ward_code, (), " ".join(["; ".join(described) + ".", *notes]))
