"""Records, the product–need score and its reasons (pure: no Flask, no database).

Score of one product for one sourcing need (integer points, higher is better)::

    specificity   40 exact category, 30 parent, 20 grandparent, 10 further up
    quality       OCOP stars (3★ 4, 4★ 7, 5★ 10) + 2 per other certification kind (max 6)
    province      15 when the producer's province is a delivery province, or the need has none
    capacity      20 × min(1, capacity ÷ volume), same unit only; 20 when the need gives no
                  volume; 0 when units differ or the product states no capacity
    price         20 whole price range ≤ target; 15 range straddles the target; above target
                  15 falling to 0 at +50 %; same unit only; 20 when the need gives no target;
                  0 when units differ or the product states no price

Hard rules (the pair is *not a match*, whatever the other points): the need requires a
certification kind the product lacks, or a minimum of OCOP stars the product does not reach.
"Required" means required; a buyer does not want suggestions that fail it. ``ocop_N`` in the
required kinds is read as "at least N stars" and an ``ocop_N`` certification as N stars.

An unconstrained criterion (no delivery provinces, no volume, no target) earns its full points,
so a need does not score higher merely for asking more. Missing product data earns nothing:
stating capacity and price pays.

Pair score (producer × distributor, DESIGN §3) = sum over the distributor's needs of the best
score among the producer's products covered by that need.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

SPECIFICITY = (40, 30, 20, 10)  # by depth gap 0, 1, 2, ≥3
STAR_POINTS = {0: 0, 3: 4, 4: 7, 5: 10}
CERT_POINTS, CERT_MAX = 2, 3  # per non-OCOP certification kind, at most 3 kinds
PROVINCE = 15
CAPACITY = 20
PRICE = 20
PRICE_STRADDLE = 15
MAX_SCORE = SPECIFICITY[0] + STAR_POINTS[5] + CERT_POINTS * CERT_MAX + PROVINCE + CAPACITY + PRICE

UNIT_ALIASES = {
    "kilogram": "kg", "kilogam": "kg", "kilô": "kg", "ký": "kg", "cân": "kg",
    "l": "lít", "lit": "lít", "liter": "lít", "litre": "lít",
}


@lru_cache(maxsize=4096)
def normalise_unit(unit: str | None) -> str | None:
    """Comparable unit: NFC, case-folded, trimmed, a few aliases (``Kg`` = ``kilogram``)."""
    if not unit:
        return None
    unit = unicodedata.normalize("NFC", unit).strip().casefold()
    if not unit:
        return None
    return UNIT_ALIASES.get(unit, unit)


def ocop_level(kind: str) -> int:
    """``ocop_4`` → 4; other kinds → 0."""
    if kind.startswith("ocop_") and kind[5:].isdigit():
        return int(kind[5:])
    return 0


def ancestors(path: str) -> list[str]:
    """Ancestor-or-self paths of ``path``, shortest first, scheme root excluded:
    ``hs/IV/21/2103`` → ``hs/IV``, ``hs/IV/21``, ``hs/IV/21/2103``."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(2, len(parts) + 1)]


def depth(path: str) -> int:
    return path.count("/")


def covers(need_path: str, product_path: str) -> bool:
    """``need_path`` is ancestor-or-self of ``product_path`` (a prefix at a ``/`` boundary)."""
    return product_path == need_path or product_path.startswith(need_path + "/")


def best_gap(need_paths: Iterable[str],
             product_paths: Iterable[str]) -> tuple[int, str, str] | None:
    """Smallest depth gap over covering (need path, product path) couples, with the couple;
    ties go to the lexicographically first couple. None when nothing covers."""
    best = None
    for c in need_paths:
        for x in product_paths:
            if covers(c, x):
                cand = (depth(x) - depth(c), c, x)
                if best is None or cand < best:
                    best = cand
    return best


def specificity_points(gap: int) -> int:
    return SPECIFICITY[min(gap, len(SPECIFICITY) - 1)]


def capacity_points(capacity: int | None, volume: int) -> int:
    """Same-unit capacity against a stated volume; monotone in both."""
    if capacity is None:
        return 0
    if capacity >= volume:
        return CAPACITY
    return CAPACITY * capacity // volume


def price_above_points(price_min: int, target: int) -> int:
    """Price above the target: 15 falling to 0 at 50 % above (non-increasing in price_min,
    non-decreasing in target)."""
    if target <= 0:
        return 0
    over = price_min - target
    return max(0, PRICE_STRADDLE - (30 * over + target - 1) // target)


def price_points(price_min: int | None, price_max: int | None, target: int) -> int:
    if price_min is None:
        return 0
    high = price_max if price_max is not None else price_min
    if high <= target:
        return PRICE
    if price_min <= target:
        return PRICE_STRADDLE
    return price_above_points(price_min, target)


def price_bound(price_min: int | None, target: int) -> int:
    """Upper bound of :func:`price_points` knowing only ``price_min`` (the smaller the better)."""
    if price_min is None:
        return 0
    if price_min <= target:
        return PRICE
    return price_above_points(price_min, target)


@dataclass(frozen=True)
class ProductRecord:
    """What matching needs of one active product. ``province_code`` is the producer's."""

    id: int
    producer_id: int
    category_paths: tuple[str, ...]
    name: str = ""
    ocop_stars: int | None = None
    certifications: frozenset[str] = frozenset()
    monthly_capacity: int | None = None
    unit: str | None = None
    price_min_vnd: int | None = None
    price_max_vnd: int | None = None
    province_code: int | None = None

    @cached_property
    def stars(self) -> int:
        """Effective OCOP stars: the product's rating or its best ``ocop_N`` certification."""
        return max([self.ocop_stars or 0, *(ocop_level(k) for k in self.certifications)])

    @cached_property
    def other_certifications(self) -> frozenset[str]:
        return frozenset(k for k in self.certifications if not ocop_level(k))

    @cached_property
    def quality_points(self) -> int:
        return (STAR_POINTS.get(self.stars, 0)
                + CERT_POINTS * min(CERT_MAX, len(self.other_certifications)))


@dataclass(frozen=True)
class NeedRecord:
    """What matching needs of one active sourcing need."""

    id: int
    distributor_id: int
    category_paths: tuple[str, ...]
    title: str = ""
    required_certifications: frozenset[str] = frozenset()
    min_ocop_stars: int | None = None
    monthly_volume: int | None = None
    unit: str | None = None
    target_price_vnd: int | None = None
    delivery_provinces: frozenset[int] = frozenset()

    @cached_property
    def required_stars(self) -> int:
        return max([self.min_ocop_stars or 0,
                    *(ocop_level(k) for k in self.required_certifications)])

    @cached_property
    def required_other(self) -> frozenset[str]:
        return frozenset(k for k in self.required_certifications if not ocop_level(k))

    @cached_property
    def mismatch_points(self) -> int:
        """Capacity + price points of a product whose unit is not comparable with the need's:
        full for a criterion the need leaves open, else nothing."""
        return ((CAPACITY if self.monthly_volume is None else 0)
                + (PRICE if self.target_price_vnd is None else 0))

    @cached_property
    def unit_sensitive(self) -> bool:
        """Whether a product's unit and figures change its capacity/price points."""
        return normalise_unit(self.unit) is not None and (
            self.monthly_volume is not None or self.target_price_vnd is not None)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason, for people: ``code`` + ``params`` (to translate), and its ``points``.

    Codes: ``category`` (need_path, product_path, gap, relation: exact / parent /
    grandparent / ancestor), ``quality`` (stars, certifications), ``stars_met`` (stars,
    required), ``certifications_met`` (required), ``delivers_to`` (province),
    ``delivers_anywhere``, ``outside_delivery`` (province, provinces), ``capacity_meets`` /
    ``capacity_partial`` (capacity, volume, unit), ``capacity_unknown`` (volume, unit),
    ``volume_open``, ``unit_mismatch`` (product_unit, need_unit), ``price_within`` /
    ``price_straddles`` / ``price_above`` (price_min, price_max, target), ``price_unknown``
    (target), ``price_open``.
    """

    code: str
    points: int = 0
    params: tuple[tuple[str, object], ...] = field(default=())

    def param(self, name: str, default=None):
        return dict(self.params).get(name, default)

    def as_dict(self) -> dict:
        return {"code": self.code, "points": self.points, **dict(self.params)}


@lru_cache(maxsize=1 << 16)
def _interned(code: str, points: int, params: tuple) -> Reason:
    return Reason(code, points, params)


def _r(code: str, points: int, **params) -> Reason:
    """A :class:`Reason`, shared with every equal one made before (they are immutable).

    An event's lists explain tens of thousands of pairs with ~8 reasons each, mostly the
    same few (``volume_open``, a product's quality, a category couple): sharing them makes
    explaining cheaper and, above all, leaves far fewer new objects behind, so a burst of
    explanations does not trigger full garbage collections over the whole index."""
    return _interned(code, points, tuple(params.items()))


RELATIONS = ("exact", "parent", "grandparent")
_VOLUME_OPEN = Reason("volume_open", CAPACITY)
_PRICE_OPEN = Reason("price_open", PRICE)


def qualifies(product: ProductRecord, need: NeedRecord) -> bool:
    """The hard rules: required OCOP stars and certification kinds are all held."""
    if need.required_stars and product.stars < need.required_stars:
        return False
    return need.required_other <= product.other_certifications


# Reasons that depend on a few plain values are made once per value (an event's lists
# explain tens of thousands of pairs, mostly the same few category couples, products'
# quality and provinces).

@lru_cache(maxsize=1 << 16)
def _category_reason(need_paths: tuple[str, ...],
                     product_paths: tuple[str, ...]) -> Reason | None:
    found = best_gap(need_paths, product_paths)
    if found is None:
        return None
    gap, need_path, product_path = found
    return _r("category", specificity_points(gap), need_path=need_path,
              product_path=product_path, gap=gap,
              relation=RELATIONS[gap] if gap < len(RELATIONS) else "ancestor")


@lru_cache(maxsize=1 << 12)
def _quality_reason(stars: int, certifications: frozenset[str]) -> Reason:
    points = STAR_POINTS.get(stars, 0) + CERT_POINTS * min(CERT_MAX, len(certifications))
    return _r("quality", points, stars=stars or None,
              certifications=tuple(sorted(certifications)))


@lru_cache(maxsize=1 << 12)
def _province_reason(provinces: frozenset[int], province: int | None) -> Reason:
    if not provinces:
        return _r("delivers_anywhere", PROVINCE, province=province)
    if province in provinces:
        return _r("delivers_to", PROVINCE, province=province)
    return _r("outside_delivery", 0, province=province, provinces=tuple(sorted(provinces)))


@lru_cache(maxsize=1 << 10)
def _kinds_reason(required: frozenset[str]) -> Reason:
    return _r("certifications_met", 0, required=tuple(sorted(required)))


def explain(product: ProductRecord, need: NeedRecord) -> tuple[int, list[Reason]] | None:
    """Score and reasons of ``product`` for ``need``; None when the need does not cover the
    product or the product fails a hard rule. The reference for the index's fast path.

    (Written for speed: an event's lists explain tens of thousands of pairs.)"""
    category = _category_reason(need.category_paths, product.category_paths)
    if category is None:
        return None
    stars, required = product.stars, need.required_stars
    if required and stars < required:
        return None
    kinds = need.required_other
    if kinds and not kinds <= product.other_certifications:
        return None
    quality = _quality_reason(stars, product.other_certifications)
    province = _province_reason(need.delivery_provinces, product.province_code)
    total = category.points + quality.points + province.points
    reasons = [category, quality]
    if required:
        reasons.append(_interned("stars_met", 0, (("stars", stars), ("required", required))))
    if kinds:
        reasons.append(_kinds_reason(kinds))
    reasons.append(province)
    volume, target = need.monthly_volume, need.target_price_vnd
    if volume is None and target is None:
        reasons += (_VOLUME_OPEN, _PRICE_OPEN)
        return total + CAPACITY + PRICE, reasons
    p_unit, n_unit = normalise_unit(product.unit), normalise_unit(need.unit)
    same_unit = p_unit is not None and p_unit == n_unit
    unit = need.unit
    if not same_unit:
        reasons.append(_interned("unit_mismatch", 0, (("product_unit", product.unit),
                                                      ("need_unit", unit))))
    if volume is None:
        reasons.append(_VOLUME_OPEN)
        total += CAPACITY
    elif same_unit:
        capacity = product.monthly_capacity
        if capacity is None:
            reasons.append(_interned("capacity_unknown", 0, (("volume", volume),
                                                             ("unit", unit))))
        else:
            points = capacity_points(capacity, volume)
            total += points
            reasons.append(_interned(
                "capacity_meets" if points == CAPACITY else "capacity_partial", points,
                (("capacity", capacity), ("volume", volume), ("unit", unit))))
    if target is None:
        reasons.append(_PRICE_OPEN)
        total += PRICE
    elif same_unit:
        price_min, price_max = product.price_min_vnd, product.price_max_vnd
        if price_min is None:
            reasons.append(_interned("price_unknown", 0, (("target", target), ("unit", unit))))
        else:
            high = price_max if price_max is not None else price_min
            code = ("price_within" if high <= target else
                    "price_straddles" if price_min <= target else "price_above")
            points = price_points(price_min, price_max, target)
            total += points
            reasons.append(_interned(code, points, (
                ("price_min", price_min), ("price_max", price_max), ("target", target),
                ("unit", unit))))
    return total, reasons


def score(product: ProductRecord, need: NeedRecord) -> int | None:
    """The score alone (see :func:`explain`)."""
    result = explain(product, need)
    return None if result is None else result[0]


def _n(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def describe(reason: Reason, province_names: dict[int, str] | None = None) -> str:
    """Plain English for the CLI and debugging (the UI translates ``code`` + ``params``)."""
    p = dict(reason.params)
    names = province_names or {}

    def prov(code):
        return names.get(code, f"province {code}") if code is not None else "unknown province"

    code = reason.code
    if code == "category":
        scheme, _, rest = p["need_path"].partition("/")
        code_str = rest.rsplit("/", 1)[-1]
        return (f"category {scheme.upper()} {code_str} ({p['relation']}"
                + (f", {p['gap']} levels up" if p["relation"] == "ancestor" else "")
                + f" of {p['product_path']})")
    if code == "quality":
        parts = [f"OCOP {p['stars']}★"] if p.get("stars") else []
        parts += list(p.get("certifications") or ())
        return "quality: " + (", ".join(parts) if parts else "no stars or certifications")
    if code == "stars_met":
        return f"OCOP {p['stars']}★ ≥ {p['required']}★ required"
    if code == "certifications_met":
        return "holds required " + ", ".join(p["required"])
    if code == "delivers_to":
        return f"delivers to {prov(p['province'])}"
    if code == "delivers_anywhere":
        return "no delivery province restriction"
    if code == "outside_delivery":
        return (f"{prov(p['province'])} is outside the delivery provinces "
                + ", ".join(prov(c) for c in p["provinces"]))
    if code == "capacity_meets":
        return f"capacity {_n(p['capacity'])} ≥ {_n(p['volume'])} {p['unit']}/month"
    if code == "capacity_partial":
        return f"capacity {_n(p['capacity'])} < {_n(p['volume'])} {p['unit']}/month"
    if code == "capacity_unknown":
        return f"capacity not stated (need {_n(p['volume'])} {p['unit']}/month)"
    if code == "volume_open":
        return "no volume stated"
    if code == "unit_mismatch":
        return f"units differ ({p['product_unit']} vs {p['need_unit']}): not compared"
    if code in ("price_within", "price_straddles", "price_above"):
        price = _n(p["price_min"]) + (
            f"–{_n(p['price_max'])}" if p.get("price_max") not in (None, p["price_min"]) else "")
        rel = {"price_within": "≤", "price_straddles": "around", "price_above": ">"}[code]
        return f"price {price} {rel} target {_n(p['target'])} ₫/{p['unit']}"
    if code == "price_unknown":
        return f"price not stated (target {_n(p['target'])} ₫)"
    if code == "price_open":
        return "no target price"
    return f"{code} {p}"
