"""Load the OCOP and HS category trees from ``data/`` into ``categories``, idempotently.

Sources (see ``data/SOURCE.md``):
    ``data/ocop/ocop-product-classification-qd148-2023.csv``: Decision 148/QĐ-TTg (2023),
        Appendix I: 6 major groups → groups → 26 product sets.
    ``data/hs/harmonized-system-hs2022.csv`` (chapters, headings, subheadings, English),
    ``data/hs/hs-sections.csv`` (sections, English), ``data/hs/hs2022-sections-vi.csv`` and
    ``data/hs/hs2022-chapters-vi-en.csv`` (Vietnamese titles).
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from matchmaker.catalogue.models import Category
from matchmaker.extensions import db
from matchmaker.text import fold, normalise

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Node:
    """A category as read from the files, before it has a database id."""

    scheme: str
    code: str
    path: str
    parent_code: str | None
    level: int
    name_vi: str | None
    name_en: str | None
    sort_order: int
    set_number: int | None = None


@dataclass
class LoadReport:
    """Counts per scheme: ``{"ocop": {"added": 32, "updated": 0, "unchanged": 0}, ...}``."""

    counts: dict[str, dict[str, int]]

    def __str__(self) -> str:
        return "; ".join(
            f"{scheme}: {c['added']} added, {c['updated']} updated, {c['unchanged']} unchanged"
            for scheme, c in self.counts.items()
        )


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _clean(text: str | None) -> str | None:
    text = normalise(text)
    return text or None


def ocop_nodes(data_dir: Path = DATA_DIR) -> list[Node]:
    """The OCOP tree: codes ``I``, ``I.1``, ``I.1.a``. The 26 product sets carry their number
    (1-26) in the decision: a subgroup, or a group that has no subgroups (``I.6``)."""
    rows = _read(data_dir / "ocop" / "ocop-product-classification-qd148-2023.csv")
    nodes: dict[str, Node] = {}
    for row in rows:
        major = row["major_group_code"].strip()
        group = f"{major}.{row['group_no'].strip()}"
        subgroup_code = row["subgroup_code"].strip()
        set_no = int(row["product_set_no"])
        nodes.setdefault(major, Node("ocop", major, f"ocop/{major}", None, 1,
                                     _clean(row["major_group_vi"]), _clean(row["major_group_en"]),
                                     set_no, None))
        nodes.setdefault(group, Node("ocop", group, f"ocop/{major}/{group}", major, 2,
                                     _clean(row["group_vi"]), None, set_no,
                                     None if subgroup_code else set_no))
        if subgroup_code:
            code = f"{group}.{subgroup_code}"
            nodes[code] = Node("ocop", code, f"ocop/{major}/{group}/{code}", group, 3,
                               _clean(row["subgroup_vi"]), None, set_no, set_no)
    return list(nodes.values())


def hs_nodes(data_dir: Path = DATA_DIR) -> list[Node]:
    """The HS 2022 tree: sections (``XVI``) → chapters (``09``) → headings (``0901``) →
    subheadings (``090121``), leading zeros kept."""
    hs = data_dir / "hs"
    sections_en = {r["section"].strip(): r["name"] for r in _read(hs / "hs-sections.csv")}
    sections_vi = {r["section"].strip(): r["name_vi"]
                   for r in _read(hs / "hs2022-sections-vi.csv")}
    chapters_vi = {r["chapter"].strip(): r["name_vi"]
                   for r in _read(hs / "hs2022-chapters-vi-en.csv")}
    nodes: list[Node] = []
    for order, (code, name_en) in enumerate(sections_en.items(), start=1):
        # The source writes "live animals" in lower case: capitalise the first letter only.
        name_en = normalise(name_en)
        nodes.append(Node("hs", code, f"hs/{code}", None, 1, _clean(sections_vi.get(code)),
                          name_en[:1].upper() + name_en[1:], order))
    paths: dict[str, str] = {}
    for row in _read(hs / "harmonized-system-hs2022.csv"):
        code, level = row["hscode"].strip(), int(row["level"])
        if level not in (2, 4, 6):
            continue  # the TOTAL row
        section = row["section"].strip()
        if section not in sections_en:
            # Chapter 99 ("commodities not specified according to kind") is a UN Comtrade
            # reporting code outside the 21 sections, not part of the nomenclature.
            continue
        parent = section if level == 2 else row["parent"].strip()
        parent_path = f"hs/{section}" if level == 2 else paths[parent]
        paths[code] = f"{parent_path}/{code}"
        nodes.append(Node("hs", code, paths[code], parent, level // 2 + 1,
                          _clean(chapters_vi.get(code)) if level == 2 else None,
                          _clean(row["description"]), int(code)))
    return nodes


def _sync(nodes: Iterable[Node], scheme: str) -> dict[str, int]:
    existing = {
        c.code: c for c in db.session.scalars(sa.select(Category).where(Category.scheme == scheme))
    }
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    by_level: dict[int, list[Node]] = {}
    for node in nodes:
        by_level.setdefault(node.level, []).append(node)
    # Level by level, flushing in between, so that every parent has its id before its children.
    for level in sorted(by_level):
        for node in by_level[level]:
            counts[_sync_one(node, existing)] += 1
        db.session.flush()
    return counts


def _sync_one(node: Node, existing: dict[str, Category]) -> str:
    values = {
        "path": node.path,
        "parent_id": existing[node.parent_code].id if node.parent_code else None,
        "level": node.level,
        "name_vi": node.name_vi,
        "name_en": node.name_en,
        "name_key": fold(" ".join(filter(None, (node.name_vi, node.name_en)))),
        "sort_order": node.sort_order,
        "set_number": node.set_number,
    }
    category = existing.get(node.code)
    if category is None:
        existing[node.code] = Category(scheme=node.scheme, code=node.code, **values)
        db.session.add(existing[node.code])
        return "added"
    if all(getattr(category, key) == value for key, value in values.items()):
        return "unchanged"
    for key, value in values.items():
        setattr(category, key, value)
    return "updated"


def load_categories(data_dir: Path = DATA_DIR) -> LoadReport:
    """Insert or update both trees from ``data_dir``; running it twice changes nothing.

    Flushes, does not commit. Categories are never deleted here: products may point at them.

    Raises:
        FileNotFoundError: a source file is missing.
        KeyError: a row names a parent that does not exist (a corrupt file).
    """
    return LoadReport({
        "ocop": _sync(ocop_nodes(data_dir), "ocop"),
        "hs": _sync(hs_nodes(data_dir), "hs"),
    })
