"""The parameters of a product search: what the browse page and ``GET /api/v1/products`` accept.

:func:`parse_params` turns query-string arguments into a validated :class:`SearchParams` and a
message per bad argument, in the user's language; :mod:`matchmaker.catalogue.search` runs it.
Money is whole đồng (:func:`matchmaker.money.parse_vnd`), provinces are current province codes
(:mod:`matchmaker.organisations.divisions`), categories are paths (``ocop/I``,
``hs/II/09/0902``), certifications are :class:`CertificationKind` values.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l

from matchmaker.catalogue.search_index import search_tokens
from matchmaker.money import InvalidAmount, parse_vnd
from matchmaker.organisations.divisions import is_province
from matchmaker.organisations.models import CertificationKind
from matchmaker.pagination import MAX_PAGE

SORTS = ("relevance", "name", "newest")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_QUERY_CHARS = 200
MAX_TOKENS = 12  # words beyond this are ignored: no product name needs more to be found
STAR_LEVELS = (3, 4, 5)
#: Every query parameter understood by the browse page and ``GET /api/v1/products``.
PARAMETERS = ("q", "category", "province", "cert", "stars", "price_min", "price_max", "sort",
              "page", "per_page")

_CATEGORY_RE = re.compile(r"(ocop|hs)(/[A-Za-z0-9][A-Za-z0-9.]{0,15}){1,4}")

MESSAGES = {
    "q": _l("The search text is too long: at most %(max)d characters.", max=MAX_QUERY_CHARS),
    "category": _l("This category does not exist. Choose one from the list."),
    "province": _l("Choose a province from the list."),
    "cert": _l("Choose a certification from the list."),
    "stars": _l("OCOP stars must be 3, 4 or 5."),
    "price_format": _l("Enter a whole amount in đồng, for example 1.500.000."),
    "price_negative": _l("A price cannot be negative."),
    "price_too_large": _l("This amount is too large."),
    "price_range": _l("The lowest price is above the highest price."),
    "sort": _l("Sort by relevance, name or newest."),
    "page": _l("The page must be a whole number, 1 or more."),
    "per_page": _l("Results per page must be a whole number from 1 to 100."),
}


@dataclass(frozen=True)
class SearchParams:
    """A validated search. Prices are whole đồng; ``province`` a current province code;
    ``category`` a category path such as ``ocop/I`` or ``hs/II/09/0902``; ``sort`` one of
    :data:`SORTS` or ``""`` for the default (relevance with a text query, else newest)."""

    q: str = ""
    category: str | None = None
    province: int | None = None
    cert: str | None = None
    stars: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    sort: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def tokens(self) -> tuple[str, ...]:
        """The folded query words (at most :data:`MAX_TOKENS`)."""
        return tuple(search_tokens(self.q)[:MAX_TOKENS])

    @property
    def order(self) -> str:
        """The sort actually applied: relevance needs words to rank by."""
        if self.sort in ("name", "newest"):
            return self.sort
        return "relevance" if self.tokens else "newest"

    @property
    def has_filters(self) -> bool:
        """True when any filter (not the text query) is set."""
        return any(v is not None for v in (self.category, self.province, self.cert, self.stars,
                                           self.price_min, self.price_max))

    def to_args(self, **changes) -> dict[str, str | int]:
        """Query-string arguments for this search with ``changes`` applied; defaults omitted,
        ``None`` removes a filter. Changing anything but ``page`` goes back to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        values = replace(self, **changes)
        args: dict[str, str | int] = {}
        for name in PARAMETERS:
            value = getattr(values, name)
            default = getattr(SearchParams, name, None)
            if value is None or value == "" or value == default:
                continue
            args[name] = value
        return args


def _int(text: str) -> int | None:
    # At most 9 digits: anything longer would only overflow the database's integers.
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _price(args: Mapping[str, str], name: str, errors: dict) -> int | None:
    try:
        return parse_vnd(args.get(name) or None)
    except InvalidAmount as exc:
        errors[name] = MESSAGES[f"price_{exc.code}"]
        return None


def parse_params(args: Mapping[str, str]) -> tuple[SearchParams, dict[str, object]]:
    """Validate query-string arguments (any ``Mapping``, e.g. ``request.args``).

    Returns ``(params, errors)``: ``errors`` maps a parameter name to a translated message
    (lazy string) and the parameter is left at its default in ``params``, so a page can still
    show results for the rest. ``per_page`` above :data:`MAX_PER_PAGE` is capped, not refused.
    Empty values count as absent. Existence of ``category`` is checked by :func:`search`.
    """
    errors: dict[str, object] = {}
    values: dict[str, object] = {}

    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY_CHARS:
        errors["q"] = MESSAGES["q"]
    else:
        values["q"] = q

    category = (args.get("category") or "").strip()
    if category:
        if _CATEGORY_RE.fullmatch(category):
            values["category"] = category
        else:
            errors["category"] = MESSAGES["category"]

    province = (args.get("province") or "").strip()
    if province:
        code = _int(province)
        if code is not None and is_province(code):
            values["province"] = code
        else:
            errors["province"] = MESSAGES["province"]

    cert = (args.get("cert") or "").strip()
    if cert:
        if cert in CertificationKind._value2member_map_:
            values["cert"] = cert
        else:
            errors["cert"] = MESSAGES["cert"]

    stars = (args.get("stars") or "").strip()
    if stars:
        if _int(stars) in STAR_LEVELS:
            values["stars"] = int(stars)
        else:
            errors["stars"] = MESSAGES["stars"]

    price_min, price_max = _price(args, "price_min", errors), _price(args, "price_max", errors)
    if price_min is not None and price_max is not None and price_min > price_max:
        errors["price_max"] = MESSAGES["price_range"]
    else:
        values.update(price_min=price_min, price_max=price_max)

    sort = (args.get("sort") or "").strip()
    if sort in SORTS:
        values["sort"] = sort
    elif sort:
        errors["sort"] = MESSAGES["sort"]

    for name, maximum in (("page", MAX_PAGE), ("per_page", MAX_PER_PAGE)):
        raw = (args.get(name) or "").strip()
        if raw:
            number = _int(raw)
            if number is not None and number >= 1:
                values[name] = min(number, maximum)
            else:
                errors[name] = MESSAGES[name]

    return SearchParams(**values), errors
