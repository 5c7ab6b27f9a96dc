"""The organisations a file of past MOUs and contracts names: found on the platform, or
created.

Each row names its producer and its distributor, optionally with their tax codes
(:meth:`PartyBook.find`). A tax code decides first; otherwise the name as the producer import
compares it (:func:`~matchmaker.organisations.identity.identity_key`: case, accents, spacing
and the abbreviations of legal forms do not matter; names an organiser merged keep leading to
the kept organisation). An organisation the platform does not know becomes a new
:class:`Party`, created with ``source = 'imported'`` when the file is saved
(:meth:`PartyBook.create`) and flagged for review next to any similar name. A known
organisation named on the other side becomes producer *and* distributor.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from matchmaker.deals.import_columns import LIMITS
from matchmaker.extensions import db
from matchmaker.imports.models import MERGED, MatchReview
from matchmaker.imports.services import MAX_CANDIDATES
from matchmaker.organisations.identifiers import InvalidTaxCode, normalise_tax_code
from matchmaker.organisations.identity import (
    CloseMatchIndex,
    identity_key,
    legal_form_of,
    placeholder_reason,
)
from matchmaker.organisations.models import Organisation, Side
from matchmaker.text import normalise

if TYPE_CHECKING:
    from matchmaker.deals.import_rows import Row

__all__ = ["Party", "PartyBook"]


@dataclass(eq=False)
class Party:
    """An organisation named by the file: known (``org_id``) or to be created."""

    name: str
    key: str
    org_id: int | None = None
    side: str | None = None  # the existing organisation's side
    tax_code: str | None = None
    new_tax: str | None = None  # to add to an existing organisation
    legal_form: str | None = None
    sides: set[str] = field(default_factory=set)
    candidates: list[tuple[float, object]] = field(default_factory=list)
    org: Organisation | None = None

    @property
    def ident(self):
        """What the party is in a pair: the organisation's id, or the party when new."""
        return self.org_id if self.org_id is not None else self

    @property
    def saved_id(self) -> int:
        """The organisation's id: the known one, or the new one once created and flushed."""
        return self.org_id if self.org_id is not None else self.org.id


class PartyBook:
    """The organisations of one import: what the platform holds (names, tax codes, merged
    names) and the parties the file names, each once (an organisation's id, or
    ``("new", identity key)`` -> :class:`Party`)."""

    def __init__(self) -> None:
        self.parties: dict = {}  # org id or ("new", key) -> Party
        self.by_key: dict[str, list[int]] = {}
        self.by_tax: dict[str, int] = {}
        self.aliases: dict[str, int] = {}
        self.names: dict[int, tuple[str, str, str | None]] = {}
        self.new_by_tax: dict[str, Party] = {}
        self.close = CloseMatchIndex()

    def load(self) -> None:
        """Read every organisation's name, side and tax code, and the merged names."""
        for org_id, name, side, tax_code in db.session.execute(
                sa.select(Organisation.id, Organisation.name, Organisation.side,
                          Organisation.tax_code)):
            key = identity_key(name)
            self.by_key.setdefault(key, []).append(org_id)
            self.names[org_id] = (name, side, tax_code)
            if tax_code:
                self.by_tax[tax_code] = org_id
            self.close.add(key, org_id)
        for key, candidate_id in db.session.execute(
                sa.select(MatchReview.organisation_key, MatchReview.candidate_id)
                .where(MatchReview.status == MERGED, MatchReview.organisation_key.is_not(None))):
            self.aliases.setdefault(key, candidate_id)

    def find(self, row: "Row", values: dict[str, str], name_field: str,
             side: str) -> Party | None:
        """The party a row names in ``name_field`` (``producer`` / ``distributor``, with
        its ``…_tax_code``) for ``side``: known, or new (remembered, so later rows find
        it). None when the cell is unusable; errors and notices go to ``row``."""
        name = normalise(values.get(name_field))
        tax_field = f"{name_field}_tax_code"
        if not name:
            row.error(name_field, "required")
            return None
        if placeholder_reason(name):
            row.error(name_field, "party_not_stated", name)
            return None
        if len(name) > LIMITS[name_field]:
            return None  # reported as too long
        legal_form = legal_form_of(name)
        tax = None
        if values.get(tax_field):
            try:
                tax = normalise_tax_code(values[tax_field],
                                         allow_personal_id=legal_form == "household")
            except InvalidTaxCode:
                row.error(tax_field, "invalid_tax_code", values[tax_field])
                return None
        key = identity_key(name)
        party = None
        if tax:
            party = self.new_by_tax.get(tax)
            if party is None and tax in self.by_tax:
                party = self._existing(self.by_tax[tax])
                if party.key != key:
                    row.notice(tax_field, "matched_by_tax_code", tax, name=party.name)
        if party is None:
            ids = self.by_key.get(key) or ([self.aliases[key]] if key in self.aliases else [])
            if ids:
                party = self._existing(min(ids))
            else:
                party = self.parties.get(("new", key))
            if party is not None and tax:
                known = party.tax_code or party.new_tax
                if known and known != tax:
                    row.error(tax_field, "tax_code_mismatch", values[tax_field], other=known)
                    return None
                if not known:
                    if party.org_id is None:
                        party.tax_code = tax
                    else:
                        party.new_tax = tax
                        row.notice(tax_field, "tax_code_added", tax, name=party.name)
                    self.new_by_tax[tax] = party
        if party is None:
            party = Party(name=name, key=key, tax_code=tax, legal_form=legal_form)
            party.candidates = self.close.close_to(key)[:MAX_CANDIDATES]
            self.close.add(key, party)
            self.parties[("new", key)] = party
            if tax:
                self.new_by_tax[tax] = party
            row.notice(name_field, "new_organisation", name=name)
            if party.candidates:
                row.notice(name_field, "possible_duplicate", self._name_of(
                    party.candidates[0][1]))
        if side not in party.sides:
            if party.org_id is not None and party.side not in (side, Side.BOTH):
                row.notice(name_field, "side_widened", name=party.name)
            party.sides.add(side)
        return party

    def _existing(self, org_id: int) -> Party:
        party = self.parties.get(org_id)
        if party is None:
            name, side, tax_code = self.names[org_id]
            party = Party(name=name, key=identity_key(name), org_id=org_id, side=side,
                          tax_code=tax_code)
            self.parties[org_id] = party
        return party

    def _name_of(self, item) -> str:
        return item.name if isinstance(item, Party) else self.names[item][0]

    def create(self, used: set[Party]) -> tuple[int, int]:
        """Create the new organisations ``used`` by the rows to save, widen or complete the
        known ones, flag possible duplicates (:class:`MatchReview`), and flush.
        Returns (organisations created, reviews created)."""
        created = reviews = 0
        for party in self.parties.values():
            if party.org_id is None:
                if party not in used:
                    continue
                sides = party.sides
                side = Side.BOTH if len(sides) > 1 else next(iter(sides))
                party.org = Organisation(name=party.name, side=side, source="imported",
                                         legal_form=party.legal_form, tax_code=party.tax_code)
                db.session.add(party.org)
                created += 1
            elif (party.sides - {party.side} and party.side != Side.BOTH) or party.new_tax:
                party.org = db.session.get(Organisation, party.org_id)
                if party.sides - {party.side} and party.side != Side.BOTH:
                    party.org.side = Side.BOTH
                if party.new_tax and party.org.tax_code is None:
                    party.org.tax_code = party.new_tax
        db.session.flush()
        for party in self.parties.values():
            if party.org_id is not None or party.org is None:
                continue
            for score, other in party.candidates:
                candidate = other.org if isinstance(other, Party) else db.session.get(
                    Organisation, other)
                if candidate is None:
                    continue
                db.session.add(MatchReview(
                    organisation=party.org, candidate=candidate, similarity=round(score, 3),
                    status="pending", organisation_name=party.name,
                    organisation_key=party.key))
                reviews += 1
        db.session.flush()
        return created, reviews
