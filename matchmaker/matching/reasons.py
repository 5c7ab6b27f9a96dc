"""The engine's reasons (:class:`matchmaker.matching.scoring.Reason`: a code and params) in
the reader's language.

:func:`reason_text` renders one reason with lazy gettext, numbers and money in the current
locale (Babel), provinces by name, certification kinds and units by their labels (a
quantity agrees with its number in English: "5,000 bottles/month"; the importer's default
unit "sản phẩm" reads "products"), categories as "HS 2103" or the OCOP name.
:func:`pair_lines` turns a :class:`Match` into one line per matched need, e.g.
(distributor's view) "Nước mắm Cửa Lò → your need “Gia vị”: OCOP “Tương, nước mắm…”: same
category; OCOP 4★ ≥ 3★ required; capacity 5,000 bottles/month ≥ 2,000". Reasons that say
only "no constraint" (``volume_open``, ``price_open``, ``delivers_anywhere``) are left out:
they carry points but tell the reader nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l

from matchmaker.catalogue.forms import unit_label
from matchmaker.matching.engine import Match, Reason
from matchmaker.matching.scoring import MAX_SCORE
from matchmaker.money import format_vnd
from matchmaker.organisations.divisions import province_name
from matchmaker.organisations.forms import CERTIFICATION_KIND_LABELS

SILENT = frozenset({"volume_open", "price_open", "delivers_anywhere"})
CATEGORY_NAME_MAX = 60

MESSAGES = {
    "category_exact": _l("%(category)s: same category"),
    "category_wider": _l("%(need_category)s includes %(product_category)s"),
    "quality": _l("quality: %(items)s"),
    "stars_met": _l("OCOP %(stars)d★ ≥ %(required)d★ required"),
    "certifications_met": _l("holds the required %(kinds)s"),
    "delivers_to": _l("based in %(province)s, a delivery province"),
    "outside_delivery": _l("based in %(province)s, outside the delivery provinces "
                           "(%(provinces)s)"),
    # %(capacity)s and %(volume)s with a unit are quantities (see _quantity): "5,000
    # bottles", "5.000 chai".
    "capacity_meets": _l("capacity %(capacity)s/month ≥ %(volume)s"),
    "capacity_partial": _l("capacity %(capacity)s/month < %(volume)s wanted"),
    "capacity_unknown": _l("capacity not stated (%(volume)s/month wanted)"),
    "unit_mismatch": _l("units differ (%(product_unit)s, %(need_unit)s): volume and price "
                        "not compared"),
    "price_within": _l("price %(price)s ≤ target %(target)s per %(unit)s"),
    "price_straddles": _l("price %(price)s around the target %(target)s per %(unit)s"),
    "price_above": _l("price %(price)s above the target %(target)s per %(unit)s"),
    "price_unknown": _l("price not stated (target %(target)s per %(unit)s)"),
    "unknown_province": _l("an unknown province"),
    "no_unit": _l("no unit"),
    "line_distributor": _l("%(product)s → your need “%(need)s”"),
    "line_producer": _l("your %(product)s → their need “%(need)s”"),
    "line_organiser": _l("%(product)s → need “%(need)s”"),
}


def _locale() -> str:
    return str(get_locale() or "vi")


def _number(value) -> str:
    return format_decimal(value, locale=_locale()) if isinstance(value, int) else str(value)


# The unit the producer importer gives products whose file names none
# (matchmaker.imports.services.DEFAULT_UNIT): "sản phẩm", i.e. so many products.
DEFAULT_UNIT = "sản phẩm"

# A number with its unit, agreeing in number in English ("1 bottle", "5,000 bottles"; in
# Vietnamese "5.000 chai"): ``QUANTITIES[unit](count, formatted number)``.
QUANTITIES = {
    "kg": lambda n, q: ngettext("%(quantity)s kg", "%(quantity)s kg", n, quantity=q),
    "g": lambda n, q: ngettext("%(quantity)s g", "%(quantity)s g", n, quantity=q),
    "tấn": lambda n, q: ngettext("%(quantity)s tonne", "%(quantity)s tonnes", n, quantity=q),
    "lít": lambda n, q: ngettext("%(quantity)s litre", "%(quantity)s litres", n, quantity=q),
    "ml": lambda n, q: ngettext("%(quantity)s ml", "%(quantity)s ml", n, quantity=q),
    "chai": lambda n, q: ngettext("%(quantity)s bottle", "%(quantity)s bottles", n,
                                  quantity=q),
    "hộp": lambda n, q: ngettext("%(quantity)s box", "%(quantity)s boxes", n, quantity=q),
    "gói": lambda n, q: ngettext("%(quantity)s packet", "%(quantity)s packets", n, quantity=q),
    "túi": lambda n, q: ngettext("%(quantity)s bag", "%(quantity)s bags", n, quantity=q),
    "chiếc": lambda n, q: ngettext("%(quantity)s piece", "%(quantity)s pieces", n,
                                   quantity=q),
    "bộ": lambda n, q: ngettext("%(quantity)s set", "%(quantity)s sets", n, quantity=q),
    "cái": lambda n, q: ngettext("%(quantity)s item", "%(quantity)s items", n, quantity=q),
    "thùng": lambda n, q: ngettext("%(quantity)s carton", "%(quantity)s cartons", n,
                                   quantity=q),
    "hũ": lambda n, q: ngettext("%(quantity)s jar", "%(quantity)s jars", n, quantity=q),
    DEFAULT_UNIT: lambda n, q: ngettext("%(quantity)s product", "%(quantity)s products", n,
                                        quantity=q),
}


def _unit(unit: str | None) -> str:
    """A unit's name as in "per bottle" (singular); a unit typed in an import is shown as
    stored."""
    if not unit:
        return str(MESSAGES["no_unit"])
    return unit_label(unit)


def _quantity(value, unit: str | None) -> str:
    """``value`` (a count) with its ``unit``, in the reader's language: "5,000 bottles",
    "5.000 chai"; the bare number without a unit; a unit typed in an import follows the
    number as stored."""
    number = _number(value)
    if not unit:
        return number
    forms = QUANTITIES.get(unit)
    if forms is None:
        return f"{number} {unit}"
    return forms(value if isinstance(value, int) else 2, number)


def _province(code: int | None) -> str:
    if code is None:
        return str(MESSAGES["unknown_province"])
    return province_name(code) or str(code)


def _kind(kind: str) -> str:
    return str(CERTIFICATION_KIND_LABELS.get(kind, kind))


def category_text(path: str, names=None) -> str:
    """``"HS 2103"`` for an HS path; ``"OCOP “name”"`` for an OCOP path (its code when the
    name is unknown). ``names`` maps paths to objects with ``name(locale)``."""
    scheme, _, rest = path.partition("/")
    code = rest.rsplit("/", 1)[-1]
    if scheme == "hs":
        return f"HS {code}"
    found = (names or {}).get(path)
    name = found.name(_locale()) if found is not None else ""
    if len(name) > CATEGORY_NAME_MAX:
        name = name[:CATEGORY_NAME_MAX - 1].rstrip() + "…"
    return f"OCOP “{name}”" if name else f"OCOP {code}"


def reason_text(reason: Reason, category_names=None) -> str | None:
    """One reason in the current language; None for the reasons left out (see module)."""
    code, p = reason.code, dict(reason.params)
    if code in SILENT:
        return None
    if code == "category":
        if p["gap"] == 0:
            return str(MESSAGES["category_exact"]) % {
                "category": category_text(p["need_path"], category_names)}
        return str(MESSAGES["category_wider"]) % {
            "need_category": category_text(p["need_path"], category_names),
            "product_category": category_text(p["product_path"], category_names)}
    if code == "quality":
        items = [f"OCOP {p['stars']}★"] if p.get("stars") else []
        items += [_kind(k) for k in p.get("certifications") or ()]
        if not items:
            return None
        return str(MESSAGES["quality"]) % {"items": ", ".join(items)}
    if code == "stars_met":
        return str(MESSAGES["stars_met"]) % {"stars": p["stars"], "required": p["required"]}
    if code == "certifications_met":
        return str(MESSAGES["certifications_met"]) % {
            "kinds": ", ".join(_kind(k) for k in p["required"])}
    if code == "delivers_to":
        return str(MESSAGES["delivers_to"]) % {"province": _province(p.get("province"))}
    if code == "outside_delivery":
        return str(MESSAGES["outside_delivery"]) % {
            "province": _province(p.get("province")),
            "provinces": ", ".join(_province(c) for c in p.get("provinces") or ())}
    if code in ("capacity_meets", "capacity_partial"):
        return str(MESSAGES[code]) % {"capacity": _quantity(p["capacity"], p["unit"]),
                                      "volume": _number(p["volume"])}
    if code == "capacity_unknown":
        return str(MESSAGES[code]) % {"volume": _quantity(p["volume"], p["unit"])}
    if code == "unit_mismatch":
        return str(MESSAGES[code]) % {"product_unit": _unit(p.get("product_unit")),
                                      "need_unit": _unit(p.get("need_unit"))}
    if code in ("price_within", "price_straddles", "price_above"):
        locale = _locale()
        price = format_vnd(p["price_min"], locale)
        if p.get("price_max") not in (None, p["price_min"]):
            price += "–" + format_vnd(p["price_max"], locale)
        return str(MESSAGES[code]) % {"price": price, "target": format_vnd(p["target"], locale),
                                      "unit": _unit(p.get("unit"))}
    if code == "price_unknown":
        return str(MESSAGES[code]) % {"target": format_vnd(p["target"], _locale()),
                                      "unit": _unit(p.get("unit"))}
    return None  # a code added to the engine later: shown once translated here


@dataclass(frozen=True)
class Line:
    """One matched need of a pair, for people: ``title`` ("product → need"), the reasons'
    texts, the product and need ids, and the score (points, of :data:`MAX_SCORE`)."""

    title: str
    reasons: tuple[str, ...]
    product_id: int
    need_id: int
    score: int

    @property
    def text(self) -> str:
        return f"{self.title}: {'; '.join(self.reasons)}" if self.reasons else self.title


def _without_stars(reason: Reason) -> Reason:
    if reason.code != "quality":
        return reason
    return Reason(reason.code, reason.points,
                  tuple((k, None if k == "stars" else v) for k, v in reason.params))


def pair_lines(match: Match, catalogue, viewer: str) -> list[Line]:
    """The lines of ``match`` as ``viewer`` (``distributor``, ``producer`` or
    ``organiser``) reads them; ``catalogue`` is a :class:`matchmaker.matching.loader.
    Catalogue` (product names, need titles, category names)."""
    title = MESSAGES.get(f"line_{viewer}", MESSAGES["line_organiser"])
    lines = []
    for pair in match.pairs:
        product = catalogue.products.get(pair.product_id)
        need = catalogue.needs.get(pair.need_id)
        # The stars are said once: "OCOP 4★ ≥ 3★ required" makes "quality: OCOP 4★" noise.
        reasons = pair.reasons
        if any(r.code == "stars_met" for r in reasons):
            reasons = [_without_stars(r) for r in reasons]
        texts = tuple(t for t in (reason_text(r, catalogue.categories) for r in reasons) if t)
        lines.append(Line(
            str(title) % {"product": product.name if product else f"#{pair.product_id}",
                          "need": need.title if need else f"#{pair.need_id}"},
            texts, pair.product_id, pair.need_id, pair.score))
    return lines


def fit_percent(match: Match) -> int:
    """How well the pair fits, 0-100: the mean score of its matched needs against the best
    possible score of one product for one need."""
    if not match.pairs:
        return 0
    return min(100, round(100 * match.score / (MAX_SCORE * len(match.pairs))))
