"""Suggestions as people see them: the engine's matches minus their decisions.

Who sees what (DESIGN §3, issue 5):

* platform-wide (``event_id`` None): a distributor organisation sees the producers whose
  products its open needs cover; a producer sees the distributors whose needs its products
  meet; an organisation on both sides sees both lists;
* at an event: the same, restricted to the event's approved and checked-in participants of
  the other side (:func:`matchmaker.matching.loader.event_index`), for a participant;
* an event's organisers see every covering pair among the participants
  (:func:`event_pairs`).

Decisions (:class:`MatchDecision`) change the lists:

* ``not_interested`` by one side hides the pair from that side only; at an event, a
  platform-wide "not interested" counts too;
* ``excluded`` by organisers hides the pair from both sides (at its event, or platform-wide
  when ``event_id`` is None);
* ``pinned`` pairs come first, with a pin badge, in both sides' lists and the organiser's.

Mutations here flush and never commit; they raise :class:`MatchingError` for pairs they
refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from matchmaker.events.models import RegistrationSide
from matchmaker.extensions import db
from matchmaker.matching.engine import Match, MatchIndex, PairMatch, explain
from matchmaker.matching.loader import Catalogue, Participant
from matchmaker.matching.models import DecidedSide, DecisionKind, ExclusionReason, MatchDecision
from matchmaker.organisations.models import Organisation
from matchmaker.text import fold

PRODUCER, DISTRIBUTOR = RegistrationSide.PRODUCER.value, RegistrationSide.DISTRIBUTOR.value
DEFAULT_K, MAX_K = 10, 50
NOTE_MAX = 1000


class MatchingError(ValueError):
    """A decision refused. ``code``: ``same_organisation`` (one organisation on both ends),
    ``unknown_organisation``, ``not_participants`` (at an event: not an approved producer
    and distributor there), ``reason`` (an exclusion reason that is not one of
    :class:`ExclusionReason`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Suggestion:
    """One suggested counterpart: its organisation id and name, the match (score, pairs and
    reasons), whether organisers pinned it, and at an event its registration id."""

    match: Match
    organisation_id: int
    name: str
    pinned: bool = False
    registration_id: int | None = None


@dataclass(frozen=True)
class Hidden:
    """A counterpart the viewer said "not interested" in (``event_id`` None: platform-wide)."""

    organisation_id: int
    name: str
    event_id: int | None


@dataclass(frozen=True)
class SuggestionList:
    """What one side of an organisation sees: ``side`` is the viewer's side (a distributor
    sees producers), ``suggestions`` pinned first then best first, ``hidden`` its "not
    interested" pairs, ``has_more`` when more than ``k`` could be shown."""

    side: str
    suggestions: list[Suggestion]
    hidden: list[Hidden]
    k: int
    has_more: bool


@dataclass(frozen=True)
class EventPair:
    """A covering pair at an event, for its organisers."""

    match: Match
    producer: Participant
    distributor: Participant
    pinned: bool
    exclusion: MatchDecision | None

    @property
    def excluded(self) -> bool:
        return self.exclusion is not None


def clamp_k(k: int | None) -> int:
    """How many suggestions to show: ``DEFAULT_K`` when None, else 1 to ``MAX_K``."""
    if k is None:
        return DEFAULT_K
    return max(1, min(MAX_K, k))


# --- reading ---------------------------------------------------------------------------

def viewer_decisions(organisation_id: int, event_id: int | None = None) -> list[MatchDecision]:
    """Every decision about pairs with ``organisation_id`` on either end, platform-wide and
    (when ``event_id`` is given) at that event; one statement."""
    scope = MatchDecision.event_id.is_(None)
    if event_id is not None:
        scope = sa.or_(scope, MatchDecision.event_id == event_id)
    return list(db.session.scalars(sa.select(MatchDecision).where(
        scope, sa.or_(MatchDecision.producer_id == organisation_id,
                      MatchDecision.distributor_id == organisation_id))
        .order_by(MatchDecision.id)))


def event_decisions(event_id: int) -> list[MatchDecision]:
    """The organisers' decisions (exclusions, pins) at an event; one statement."""
    return list(db.session.scalars(sa.select(MatchDecision).where(
        MatchDecision.event_id == event_id,
        MatchDecision.kind.in_((DecisionKind.EXCLUDED, DecisionKind.PINNED)))
        .order_by(MatchDecision.id)))


def pair_match(index: MatchIndex, producer_id: int, distributor_id: int) -> Match | None:
    """The match of one pair in ``index`` (as the engine would score it), or None when none
    of the producer's products meets any of the distributor's needs."""
    plo, phi = index.producer_range.get(producer_id, (0, 0))
    dlo, dhi = index.distributor_range.get(distributor_id, (0, 0))
    pairs = []
    for need in index.needs[dlo:dhi]:
        best = None
        for product in index.products[plo:phi]:  # in rank order: ties keep the first
            found = explain(product, need)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], product, found[1])
        if best is not None:
            pairs.append(PairMatch(best[1].id, need.id, best[0], tuple(best[2])))
    if not pairs:
        return None
    return Match(producer_id, distributor_id, sum(p.score for p in pairs), tuple(pairs))


def _other(side: str) -> str:
    return DISTRIBUTOR if side == PRODUCER else PRODUCER


def suggestions(cat: Catalogue, organisation_id: int, side: str,
                decisions: Iterable[MatchDecision], k: int = DEFAULT_K,
                event_id: int | None = None, index: MatchIndex | None = None,
                participants: Iterable[Participant] = ()) -> SuggestionList:
    """The counterparts suggested to ``organisation_id`` acting on ``side``.

    Args:
        cat: the current catalogue (names; its index unless ``index`` is given).
        decisions: from :func:`viewer_decisions` for the same organisation and event.
        k: how many (see :func:`clamp_k`); pinned pairs come first and count among them.
        event_id: None for platform-wide suggestions, else the event (then ``index`` is the
            event's and ``participants`` its participants, for the registration ids).
    """
    index = index or cat.index
    other = _other(side)
    registrations = {p.organisation_id: p.registration_id for p in participants
                     if p.side == other}
    hidden_ids: dict[int, int | None] = {}
    excluded: set[int] = set()
    pinned: set[int] = set()
    for d in decisions:
        counterpart = d.distributor_id if side == PRODUCER else d.producer_id
        mine = d.producer_id if side == PRODUCER else d.distributor_id
        if mine != organisation_id:
            continue  # the organisation acts on the other side in this decision
        if d.kind == DecisionKind.NOT_INTERESTED:
            if d.decided_side == side:
                hidden_ids.setdefault(counterpart, d.event_id)
            continue
        if d.event_id != event_id:
            continue  # organisers' decisions count where they were made
        (excluded if d.kind == DecisionKind.EXCLUDED else pinned).add(counterpart)
    pinned -= excluded
    pinned -= set(hidden_ids)
    if event_id is not None:
        pinned &= set(registrations)

    def pair(counterpart: int) -> tuple[int, int]:
        return (organisation_id, counterpart) if side == PRODUCER else (counterpart,
                                                                        organisation_id)

    first = []
    for counterpart in pinned:
        found = pair_match(index, *pair(counterpart))
        if found is not None:
            first.append(found)
    first.sort(key=lambda m: (-m.score, m.distributor_id if side == PRODUCER
                              else m.producer_id))
    skip = set(hidden_ids) | excluded | pinned
    want = max(0, k - len(first)) + 1  # one more tells whether there are more
    if side == PRODUCER:
        rest = index.top_distributors_for(organisation_id, k=want, exclude=skip)
    else:
        rest = index.top_producers_for(organisation_id, k=want, exclude=skip)
    has_more = len(first) + len(rest) > k
    chosen = (first + rest)[:k]
    pinned_count = len(first)
    out = []
    for i, match in enumerate(chosen):
        counterpart = match.distributor_id if side == PRODUCER else match.producer_id
        info = cat.organisation(counterpart)
        out.append(Suggestion(match, counterpart, info.name if info else f"#{counterpart}",
                              pinned=i < pinned_count,
                              registration_id=registrations.get(counterpart)))
    hidden = []
    for counterpart, hidden_event in hidden_ids.items():
        info = cat.organisation(counterpart)
        hidden.append(Hidden(counterpart, info.name if info else f"#{counterpart}",
                             hidden_event))
    hidden.sort(key=lambda h: fold(h.name))
    return SuggestionList(side, out, hidden, k, has_more)


def event_pairs(index: MatchIndex, participants: Iterable[Participant],
                decisions: Iterable[MatchDecision], producer_q: str = "",
                distributor_q: str = "", show: str = "all") -> list[EventPair]:
    """Every covering pair among the participants: pinned first, then by score (best
    first), excluded pairs last. ``producer_q`` / ``distributor_q`` keep pairs whose
    organisation name contains them (accent- and case-insensitive); ``show`` is ``all``,
    ``pinned`` or ``excluded``."""
    by_org: dict[tuple[str, int], Participant] = {
        (p.side, p.organisation_id): p for p in participants}
    pins: set[tuple[int, int]] = set()
    exclusions: dict[tuple[int, int], MatchDecision] = {}
    for d in decisions:
        key = (d.producer_id, d.distributor_id)
        if d.kind == DecisionKind.PINNED:
            pins.add(key)
        elif d.kind == DecisionKind.EXCLUDED:
            exclusions[key] = d
    pq, dq = fold(producer_q), fold(distributor_q)
    out = []
    for match in index.event_pairs():
        producer = by_org.get((PRODUCER, match.producer_id))
        distributor = by_org.get((DISTRIBUTOR, match.distributor_id))
        if producer is None or distributor is None:
            continue
        if pq and pq not in producer.name_key:
            continue
        if dq and dq not in distributor.name_key:
            continue
        key = (match.producer_id, match.distributor_id)
        exclusion = exclusions.get(key)
        is_pinned = key in pins and exclusion is None
        if show == "pinned" and not is_pinned or show == "excluded" and exclusion is None:
            continue
        out.append(EventPair(match, producer, distributor, is_pinned, exclusion))
    out.sort(key=lambda p: (0 if p.pinned else 2 if p.excluded else 1, -p.match.score,
                            p.match.producer_id, p.match.distributor_id))
    return out


# --- deciding --------------------------------------------------------------------------

def _check_pair(producer_id: int, distributor_id: int) -> None:
    if producer_id == distributor_id:
        raise MatchingError("same_organisation")
    found = set(db.session.scalars(sa.select(Organisation.id).where(
        Organisation.id.in_((producer_id, distributor_id)))))
    if found != {producer_id, distributor_id}:
        raise MatchingError("unknown_organisation")


def _decisions(event_id: int | None, producer_id: int, distributor_id: int, kind: str,
               side: str | None = None):
    query = sa.select(MatchDecision).where(
        MatchDecision.event_id.is_(None) if event_id is None
        else MatchDecision.event_id == event_id,
        MatchDecision.producer_id == producer_id, MatchDecision.distributor_id == distributor_id,
        MatchDecision.kind == kind)
    if side is not None:
        query = query.where(MatchDecision.decided_side == side)
    return list(db.session.scalars(query))


def mark_not_interested(event_id: int | None, producer_id: int, distributor_id: int,
                        side: str, user_id: int | None) -> bool:
    """``side``'s "not interested" in the pair (platform-wide when ``event_id`` is None).
    Returns False when it was already recorded. Raises :class:`MatchingError`."""
    if side not in (PRODUCER, DISTRIBUTOR):
        raise ValueError(side)
    _check_pair(producer_id, distributor_id)
    if _decisions(event_id, producer_id, distributor_id, DecisionKind.NOT_INTERESTED, side):
        return False
    db.session.add(MatchDecision(event_id=event_id, producer_id=producer_id,
                                 distributor_id=distributor_id,
                                 kind=DecisionKind.NOT_INTERESTED, decided_side=side,
                                 decided_by_id=user_id))
    db.session.flush()
    return True


def undo_not_interested(event_id: int | None, producer_id: int, distributor_id: int,
                        side: str) -> int:
    """Forget ``side``'s "not interested" in the pair; returns how many rows went."""
    rows = _decisions(event_id, producer_id, distributor_id, DecisionKind.NOT_INTERESTED, side)
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return len(rows)


def _check_participants(participants: Iterable[Participant], producer_id: int,
                        distributor_id: int) -> None:
    sides = {(p.side, p.organisation_id) for p in participants}
    if (PRODUCER, producer_id) not in sides or (DISTRIBUTOR, distributor_id) not in sides:
        raise MatchingError("not_participants")


def exclude_pair(event_id: int, participants: Iterable[Participant], producer_id: int,
                 distributor_id: int, reason: str, note: str | None,
                 user_id: int | None) -> MatchDecision:
    """Organisers exclude the pair at the event (both sides stop seeing it); a pin on it is
    removed, an earlier exclusion gets the new reason and note. Raises
    :class:`MatchingError` (``reason``, ``not_participants``)."""
    if reason not in ExclusionReason._value2member_map_:
        raise MatchingError("reason")
    _check_participants(participants, producer_id, distributor_id)
    for pin in _decisions(event_id, producer_id, distributor_id, DecisionKind.PINNED):
        db.session.delete(pin)
    found = _decisions(event_id, producer_id, distributor_id, DecisionKind.EXCLUDED)
    decision = found[0] if found else MatchDecision(
        event_id=event_id, producer_id=producer_id, distributor_id=distributor_id,
        kind=DecisionKind.EXCLUDED, decided_side=DecidedSide.ORGANISER)
    decision.reason, decision.note, decision.decided_by_id = reason, note or None, user_id
    db.session.add(decision)
    db.session.flush()
    return decision


def unexclude_pair(event_id: int, producer_id: int, distributor_id: int) -> int:
    """Lift the organisers' exclusion of the pair at the event; returns rows removed."""
    rows = _decisions(event_id, producer_id, distributor_id, DecisionKind.EXCLUDED)
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return len(rows)


def pin_pair(event_id: int, participants: Iterable[Participant], producer_id: int,
             distributor_id: int, user_id: int | None) -> bool:
    """Pin the pair at the event (first in both sides' suggestions); an exclusion of it is
    lifted. Returns False when it was pinned already. Raises :class:`MatchingError`
    (``not_participants``)."""
    _check_participants(participants, producer_id, distributor_id)
    unexclude_pair(event_id, producer_id, distributor_id)
    if _decisions(event_id, producer_id, distributor_id, DecisionKind.PINNED):
        return False
    db.session.add(MatchDecision(event_id=event_id, producer_id=producer_id,
                                 distributor_id=distributor_id, kind=DecisionKind.PINNED,
                                 decided_side=DecidedSide.ORGANISER, decided_by_id=user_id))
    db.session.flush()
    return True


def unpin_pair(event_id: int, producer_id: int, distributor_id: int) -> int:
    """Remove the pin of the pair at the event; returns rows removed."""
    rows = _decisions(event_id, producer_id, distributor_id, DecisionKind.PINNED)
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return len(rows)
