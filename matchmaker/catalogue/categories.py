"""Category look-ups for the product and sourcing-need forms and pages.

Both trees live in ``categories`` (see :class:`~matchmaker.catalogue.models.Category` and
:mod:`matchmaker.catalogue.taxonomy`): the OCOP product classification of Decision
148/QĐ-TTg (2023), 39 nodes of which 26 are product sets, and HS 2022 (sections, 2-digit
chapters, 4-digit headings, 6-digit subheadings). Each helper here runs at most one SQL
statement, so pages that use them stay within the query budget.
"""

import re
from collections.abc import Iterable

import sqlalchemy as sa

from matchmaker.catalogue.models import Category, sourcing_need_categories
from matchmaker.extensions import db

OCOP = "ocop"
HS = "hs"
#: HS codes people type: 2 (chapter), 4 (heading) or 6 (subheading) digits.
HS_CODE_LENGTHS = (2, 4, 6)
# Dots and spaces inside a code are how HS codes are often printed ("0901.21", "09 01").
_HS_INSIDE_JUNK = re.compile(r"[.\s]")
_HS_SEPARATORS = re.compile(r"[,;\s]+")


class HSCodeError(ValueError):
    """An HS code that is not 2, 4 or 6 digits. ``value`` is the text as typed."""

    def __init__(self, value: str) -> None:
        super().__init__(f"not an HS code: {value!r}")
        self.value = value


def clean_hs_code(text: str | None) -> str:
    """Return the digits of one HS code, leading zeros kept: ``" 09.01 "`` -> ``"0901"``.

    Returns ``""`` for empty input. Only ASCII digits count; the result is 2, 4 or 6 long.

    Raises:
        HSCodeError: anything else (letters, 3 or 8 digits, ``"901"``).
    """
    raw = (text or "").strip()
    code = _HS_INSIDE_JUNK.sub("", raw)
    if not code:
        return ""
    if not (code.isascii() and code.isdigit() and len(code) in HS_CODE_LENGTHS):
        raise HSCodeError(raw)
    return code


def split_hs_codes(text: str | None) -> list[str]:
    """Split a list of HS codes separated by commas, semicolons or spaces; cleaned, in the
    order typed, duplicates dropped: ``"0901, 090121 0902"`` -> ``["0901", "090121", "0902"]``.

    A dotted code such as ``"0901.21"`` stays one code. Raises :class:`HSCodeError` for the
    first part that is not a code.
    """
    codes: list[str] = []
    for part in _HS_SEPARATORS.split(text or ""):
        code = clean_hs_code(part)
        if code and code not in codes:
            codes.append(code)
    return codes


def hs_categories(codes: Iterable[str]) -> dict[str, Category]:
    """The HS categories with these codes, by code (one query). Unknown codes are absent."""
    codes = list(codes)
    if not codes:
        return {}
    rows = db.session.scalars(
        sa.select(Category).where(Category.scheme == HS, Category.code.in_(codes)))
    return {c.code: c for c in rows}


def _tree_order(node: Category) -> tuple:
    # The loader gives every OCOP node the number of the first product set under it, so
    # (number, level) is the pre-order of the tree.
    return node.sort_order, node.level, node.code


def ocop_tree() -> list[Category]:
    """All OCOP nodes (39) in tree order: major group, then its groups, each followed by its
    subgroups, as in Decision 148. One query."""
    nodes = db.session.scalars(sa.select(Category).where(Category.scheme == OCOP)).all()
    return sorted(nodes, key=_tree_order)


def _ocop_set_label(node: Category, by_id: dict[int, Category], locale: str) -> str:
    name = node.name(locale)
    if node.level == 3 and node.parent_id in by_id:
        name = f"{by_id[node.parent_id].name(locale)}: {name}"
    return f"{node.set_number}. {name}"


def ocop_set_groups(tree: list[Category], locale: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """The 26 OCOP product sets grouped under their major group, for ``<optgroup>``s.

    Input: :func:`ocop_tree`'s list. Output: ``[(major group name, [(category id,
    "9. Gia vị: Tương, nước mắm, gia vị dạng lỏng khác"), ...]), ...]``, six groups in the
    decision's order. A subgroup's label starts with its group's name, which the user needs
    to tell "Đồ uống có cồn khác" from "Đồ uống không cồn".
    """
    by_id = {c.id: c for c in tree}
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    current: int | None = None
    for node in tree:
        if node.level == 1:
            groups.append((node.name(locale), []))
            current = node.id
        elif node.set_number is not None and current is not None:
            groups[-1][1].append((node.id, _ocop_set_label(node, by_id, locale)))
    return groups


def ocop_set_ids(tree: list[Category]) -> set[int]:
    """Ids of the 26 product sets in ``tree``."""
    return {c.id for c in tree if c.set_number is not None}


def ocop_tree_choices(tree: list[Category], locale: str) -> list[tuple[int, str, int]]:
    """Every OCOP node as ``(id, label, depth)`` with depth 0-2, for an indented list.

    Product sets carry their number: ``(12, "9. Tương, nước mắm, …", 2)``.
    """
    choices = []
    for node in tree:
        label = node.name(locale)
        if node.set_number is not None:
            label = f"{node.set_number}. {label}"
        choices.append((node.id, label, node.level - 1))
    return choices


def ancestor_paths(path: str) -> list[str]:
    """Paths of the proper ancestors of ``path``, root first.

    ``"hs/II/09/0901"`` -> ``["hs/II", "hs/II/09"]``; the scheme prefix alone is not a node.
    """
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(2, len(parts))]


def breadcrumbs(categories: Iterable[Category]) -> list[list[Category]]:
    """For each category, its chain from the root down to itself (one query for all).

    Output: ``[[section, chapter, heading], [major group, group, set], ...]`` in the order
    given. An ancestor missing from the table (never, with a consistent tree) is skipped.
    """
    categories = list(categories)
    wanted = {p for c in categories for p in ancestor_paths(c.path)}
    known: dict[str, Category] = {}
    if wanted:
        known = {c.path: c for c in db.session.scalars(
            sa.select(Category).where(Category.path.in_(sorted(wanted))))}
    return [
        [known[p] for p in ancestor_paths(c.path) if p in known] + [c] for c in categories
    ]


def _is_ancestor_or_self(ancestor, node):
    # A prefix test by equality of a substring: exact on every backend and collation,
    # unlike LIKE (wildcards) or ranges (PostgreSQL collations may ignore "/").
    return sa.or_(node.path == ancestor.path,
                  sa.func.substr(node.path, 1, sa.func.length(ancestor.path) + 1)
                  == ancestor.path + "/")


def need_trails(need_id: int) -> list[list[Category]]:
    """The categories of a sourcing need, each with its chain from the root (as
    :func:`breadcrumbs`), in one query. OCOP first, then HS, each in tree order."""
    own = sa.orm.aliased(Category)
    node = sa.orm.aliased(Category)
    link = sourcing_need_categories
    rows = db.session.execute(
        sa.select(own.id, own.scheme, own.path, node)
        .join(link, link.c.category_id == own.id)
        .join(node, _is_ancestor_or_self(node, own))
        .where(link.c.sourcing_need_id == need_id)).all()
    chains: dict[tuple, list[Category]] = {}
    for own_id, scheme, path, category in rows:
        chains.setdefault((scheme != OCOP, path, own_id), []).append(category)
    return [sorted(chain, key=lambda c: c.level) for _key, chain in sorted(chains.items())]


def ocop_tree_and_need_categories(need_id: int | None) -> tuple[list[Category], list[Category]]:
    """:func:`ocop_tree` and the categories a sourcing need already has (OCOP and HS), in
    one query; for a new need (``need_id`` None) the second list is empty."""
    if need_id is None:
        return ocop_tree(), []
    link = sourcing_need_categories
    rows = db.session.execute(
        sa.select(Category, link.c.sourcing_need_id)
        .outerjoin(link, sa.and_(link.c.category_id == Category.id,
                                 link.c.sourcing_need_id == need_id))
        .where(sa.or_(Category.scheme == OCOP, link.c.sourcing_need_id.is_not(None)))).all()
    tree = sorted((c for c, _ in rows if c.scheme == OCOP), key=_tree_order)
    chosen = sorted((c for c, linked in rows if linked is not None),
                    key=lambda c: (c.scheme != OCOP, c.path))
    return tree, chosen


def category_label(category: Category, locale: str) -> str:
    """``"0901 Coffee, …"`` for HS (codes are what traders quote), the name for OCOP."""
    name = category.name(locale)
    if category.scheme == HS:
        return f"{category.code} {name}"
    if category.set_number is not None:
        return f"{category.set_number}. {name}"
    return name
