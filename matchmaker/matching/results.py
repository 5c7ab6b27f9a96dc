"""What the engine answers: a suggested producer × distributor pair and, per need, the
producer's best product for it with the reasons (see :mod:`matchmaker.matching.engine`)."""

from __future__ import annotations

from dataclasses import dataclass

from matchmaker.matching.scoring import Reason


@dataclass(frozen=True, slots=True)  # slots: no per-instance dict (see scoring._r)
class PairMatch:
    """The best product of the producer for one need of the distributor, and why."""

    product_id: int
    need_id: int
    score: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """A suggested producer × distributor pair; ``score`` is the sum of ``pairs`` scores."""

    producer_id: int
    distributor_id: int
    score: int
    pairs: tuple[PairMatch, ...]
