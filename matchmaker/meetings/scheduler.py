"""Meeting scheduler: give each accepted meeting a time slot and a table (DESIGN §4).

Pure functions over plain data; no Flask, no database.

Shapes
------
* ``meetings``: a sequence of ``(meeting_id, producer_id, distributor_id)``. Meeting ids are
  unique hashables; producer ids and distributor ids are separate namespaces (producer 7 and
  distributor 7 are different people), so the meeting graph is bipartite. The same pair may
  meet more than once (a multigraph): pass each meeting.
* ``tables``: T >= 1, the tables that can be used at the same time, numbered 1..T.
* ``slots``: S >= 0, the time slots available, indexed 0..S-1 in time order.
* ``unavailable``: ``{participant: slot indexes}`` where a participant is
  ``(PRODUCER, producer_id)`` or ``(DISTRIBUTOR, distributor_id)`` -- the slots in which that
  participant cannot meet. Indexes outside 0..S-1 are ignored.
* ``fixed``: ``{meeting_id: (slot, table)}``, meetings already placed (a published schedule
  being extended). They stay where they are; the others are placed around them.

The result is a :class:`Schedule`: ``placed[meeting_id] = (slot, table)`` and
``unplaced = [(meeting_id, reason), ...]`` with a reason code from :data:`REASONS`.

Theory
------
Write M for the number of meetings, Δ for the most meetings any one participant has and
T for the tables. No schedule can use fewer than ``max(Δ, ⌈M/T⌉)`` slots: a participant meets
at most once per slot, and a slot holds at most T meetings. For a bipartite (multi)graph this
bound is always reached:

* **König (1916)**: a bipartite multigraph of maximum degree Δ has a proper edge colouring
  with Δ colours -- and so with any K >= Δ colours. Constructively: colour edges one by one;
  when edge uv finds no colour free at both ends, take α free at u and β free at v and swap
  the colours of the α/β alternating path starting at v (a *Kempe chain*); in a bipartite
  graph that path cannot reach u, so afterwards α is free at both ends.
* **de Werra (1971)**, "Balanced schedules", INFOR 9(3), 230-237 (equitable edge colouring of
  bipartite graphs): for any K >= Δ a bipartite multigraph has a proper K-edge-colouring whose
  colour classes differ in size by at most one. Constructively: if class c has more edges
  than T and class d fewer, the c/d subgraph is a union of alternating paths and even cycles,
  and since it has more c-edges than d-edges some path starts and ends with c; swapping its
  colours moves one edge from c to d and keeps the colouring proper.

With K = max(Δ, ⌈M/T⌉) colours as the slots 0..K-1, every class can be brought down to at most
T edges (K·T >= M), which then take tables 1..T. :func:`schedule` does exactly this when nobody
is unavailable and nothing is fixed.

Guarantees
----------
Always: nobody has two meetings in one slot, no slot has more than T meetings, nobody meets in
a slot they marked unavailable, fixed meetings stay put, every meeting is either placed or
listed in ``unplaced`` with a reason, and the same input gives the same output.

* Nobody unavailable, nothing fixed, ``S >= max(Δ, ⌈M/T⌉)``: every meeting is placed in
  exactly slots 0..max(Δ, ⌈M/T⌉)-1 (optimal).
* Nobody unavailable, nothing fixed, ``S`` smaller: the number placed is the maximum possible,
  ``min(S·T, b)`` where b is the largest set of meetings in which nobody has more than S
  (a maximum bipartite b-matching, found with augmenting paths; any such set of at most S·T
  meetings can be coloured with S colours by the two theorems above).
* Otherwise (unavailability or fixed meetings: list edge colouring, NP-hard in general): a
  heuristic (:class:`_Constrained`) -- choose a maximum b-matching in which nobody has more
  meetings than slots they are free in (its size is :func:`max_placeable`, an upper bound),
  place those meetings most constrained first in the earliest allowed slot free for both and
  not full, repair failures with Kempe-chain swaps restricted to allowed slots, moves of one
  meeting out of a full slot and evictions of one blocking meeting, with a work limit. The
  result is also compared with greedy first-fit and the better kept, so it never places fewer
  than :func:`first_fit`. It guarantees neither the maximum nor the fewest slots; on random
  events it reaches the upper bound almost always (``bench/scheduling.py`` reports it).

Complexity (V participants, M meetings, K = max(Δ, ⌈M/T⌉)): the exact colouring is
O(M·(K/w + L)) -- free colours are bit masks of K bits (w = machine word), L is the length of
the Kempe chains walked: short in practice, O(V) in the worst case -- plus O(V + M) per
balancing swap, of which there are few (colours fill up to T first). Memory O(V + M).
The b-matching is Dinic's algorithm, O(M·√V). The heuristic is near linear by its work
limits (``_PLACE_STEPS`` per meeting, ``_REPAIR_STEPS`` in all). 32,000 meetings among 5,000
participants take about 0.05 s exact and 0.15 s with unavailability in CPython (see the
benchmark).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

PRODUCER = "p"
DISTRIBUTOR = "d"

Participant = tuple[str, Hashable]
"""``(PRODUCER, producer_id)`` or ``(DISTRIBUTOR, distributor_id)``."""
Meeting = tuple[Hashable, Hashable, Hashable]
"""``(meeting_id, producer_id, distributor_id)``."""

NO_COMMON_SLOT = "no_common_slot"
"""The two sides have no slot in which both are free (both available, no fixed meeting)."""
PARTICIPANT_FULL = "participant_full"
"""One side has more meetings than slots it is free in."""
NO_SLOT_LEFT = "no_slot_left"
"""Slots or tables ran out: the other meetings took them."""
REASONS = (NO_COMMON_SLOT, PARTICIPANT_FULL, NO_SLOT_LEFT)

# Work limits of the heuristic, in steps (an edge walked on a chain or looked at in a slot):
# per attempt to place one meeting, and for the whole repair phase (about a second).
_PLACE_STEPS = 2_000
_REPAIR_STEPS = 2_000_000


@dataclass(frozen=True)
class Schedule:
    """A schedule: ``placed[meeting_id] = (slot, table)`` (slot 0-based, table 1..T);
    ``unplaced`` lists ``(meeting_id, reason)`` in input order; ``slots_used`` is the last
    used slot + 1 (0 if nothing is placed); ``lower_bound`` is max(Δ, ⌈M/T⌉) over all the
    meetings given."""

    placed: dict[Hashable, tuple[int, int]]
    unplaced: list[tuple[Hashable, str]]
    slots_used: int
    lower_bound: int


def lower_bound(meetings: Sequence[Meeting], tables: int) -> int:
    """max(Δ, ⌈M/T⌉): no schedule of ``meetings`` on ``tables`` tables uses fewer slots."""
    inst = _Instance(meetings, tables, 0, None)
    return inst.lower_bound


# --------------------------------------------------------------------------- input


class _Instance:
    """Inputs renumbered: vertices are ints (producers first, then distributors, in order of
    first appearance), edges are input positions; unavailability is a bit mask per vertex."""

    def __init__(self, meetings, tables, slots, unavailable, fixed=None):
        if tables < 1:
            raise ValueError("tables must be at least 1")
        if slots < 0:
            raise ValueError("slots must not be negative")
        self.tables, self.slots = tables, slots
        producers: dict = {}
        distributors: dict = {}
        self.ids: list = []
        pu: list[int] = []
        dv: list[int] = []
        seen = set()
        for meeting_id, a, b in meetings:
            if meeting_id in seen:
                raise ValueError(f"meeting id {meeting_id!r} appears twice")
            seen.add(meeting_id)
            self.ids.append(meeting_id)
            pu.append(producers.setdefault(a, len(producers)))
            dv.append(distributors.setdefault(b, len(distributors)))
        na = self.n_producers = len(producers)
        self.nv = na + len(distributors)
        self.eu = pu
        self.ev = [x + na for x in dv]
        self.m = len(self.ids)
        self.deg = [0] * self.nv
        for x in self.eu:
            self.deg[x] += 1
        for x in self.ev:
            self.deg[x] += 1
        delta = max(self.deg, default=0)
        self.lower_bound = max(delta, -(-self.m // tables))

        self.full = (1 << slots) - 1
        self.unav = [0] * self.nv
        for (side, pid), marked in (unavailable or {}).items():
            if side == PRODUCER:
                x = producers.get(pid)
            elif side == DISTRIBUTOR:
                x = distributors.get(pid)
                x = None if x is None else x + na
            else:
                raise ValueError(f"participant side must be {PRODUCER!r} or {DISTRIBUTOR!r}")
            if x is None:
                continue
            mask = 0
            for s in marked:
                if 0 <= s < slots:
                    mask |= 1 << s
            self.unav[x] |= mask

        self.fixed: dict[int, tuple[int, int]] = {}
        self.fixed_busy: dict[int, int] = {}  # vertex -> mask of its fixed meetings' slots
        if fixed:
            index = {mid: e for e, mid in enumerate(self.ids)}
            problems = []
            used_tables: set = set()
            busy: set = set()
            for mid, (slot, table) in fixed.items():
                e = index.get(mid)
                if e is None:
                    problems.append(f"fixed meeting {mid!r} is not among the meetings")
                    continue
                u, v = self.eu[e], self.ev[e]
                if not (0 <= slot < slots and 1 <= table <= tables):
                    problems.append(f"fixed meeting {mid!r} is outside the slots or tables")
                    continue
                if (slot, table) in used_tables:
                    problems.append(f"fixed meeting {mid!r} shares slot {slot} table {table}")
                elif (u, slot) in busy or (v, slot) in busy:
                    problems.append(f"fixed meeting {mid!r} double-books someone in slot {slot}")
                elif (self.unav[u] | self.unav[v]) >> slot & 1:
                    problems.append(f"fixed meeting {mid!r} is in a slot someone is unavailable")
                used_tables.add((slot, table))
                busy.update(((u, slot), (v, slot)))
                for x in (u, v):
                    self.fixed_busy[x] = self.fixed_busy.get(x, 0) | 1 << slot
                self.fixed[e] = (slot, table)
            if problems:
                raise ValueError("; ".join(problems))

    def allowed(self, e: int) -> int:
        """Bit mask of the slots both sides of meeting ``e`` are available in."""
        return self.full & ~(self.unav[self.eu[e]] | self.unav[self.ev[e]])

    def reason(self, e: int) -> str:
        """Why meeting ``e`` could not be placed (it was not)."""
        if self.slots == 0:
            return NO_SLOT_LEFT
        u, v = self.eu[e], self.ev[e]
        if not self.allowed(e) & ~self.fixed_busy.get(u, 0) & ~self.fixed_busy.get(v, 0):
            return NO_COMMON_SLOT
        for x in (u, v):
            if self.deg[x] > (self.full & ~self.unav[x]).bit_count():
                return PARTICIPANT_FULL
        return NO_SLOT_LEFT

    def result(self, col: list[int], table: list[int]) -> Schedule:
        placed = {}
        unplaced = []
        for e, mid in enumerate(self.ids):
            if col[e] >= 0:
                placed[mid] = (col[e], table[e])
            else:
                unplaced.append((mid, self.reason(e)))
        slots_used = max(col, default=-1) + 1
        return Schedule(placed, unplaced, slots_used, self.lower_bound)


def _low(mask: int) -> int:
    """Index of the lowest set bit (mask != 0)."""
    return (mask & -mask).bit_length() - 1


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _tables(inst: _Instance, col: list[int]) -> list[int]:
    """Tables 1..T within each slot, in input order, around the fixed meetings' tables."""
    table = [0] * inst.m
    taken: dict[int, set[int]] = {}
    for e, (slot, t) in inst.fixed.items():
        table[e] = t
        taken.setdefault(slot, set()).add(t)
    nxt: dict[int, int] = {}
    for e in range(inst.m):
        c = col[e]
        if c < 0 or e in inst.fixed:
            continue
        t = nxt.get(c, 1)
        used = taken.get(c)
        while used and t in used:
            t += 1
        table[e] = t
        nxt[c] = t + 1
    return table


# ------------------------------------------------------------------ exact colouring


def _colour_exact(nv: int, eu: list[int], ev: list[int], edges: list[int], k: int,
                  cap: int, m: int) -> list[int]:
    """Proper ``k``-edge-colouring of ``edges`` (k >= their Δ) with every class <= ``cap``
    (needs k·cap >= len(edges)). Returns ``col`` (length ``m``; -1 for edges not given).

    Edges take the lowest colour free at both ends among the colours not yet full, else a
    Kempe chain swap (König); colours filled past ``cap`` by the rare fallback are evened out
    afterwards by :func:`_balance` (de Werra).
    """
    col = [-1] * m
    if not edges:
        return col
    # at[x][c]: the edge of colour c at x (dicts: V·K lists would not fit for a big K)
    at: list[dict[int, int]] = [{} for _ in range(nv)]
    all_colours = (1 << k) - 1
    free = [all_colours] * nv  # bit c set: colour c free at x
    count = [0] * k
    open_mask = all_colours  # colours with fewer than cap edges
    for e in edges:
        u = eu[e]
        v = ev[e]
        fu = free[u]
        fv = free[v]
        common = fu & fv & open_mask
        if common:
            c = (common & -common).bit_length() - 1
        else:
            a = fu & open_mask
            b = fv & open_mask
            if not (a and b):  # every colour free at one end is full: overfill, then balance
                a, b = fu, fv
                common = fu & fv
            if common:
                c = (common & -common).bit_length() - 1
            else:
                alpha = (a & -a).bit_length() - 1
                beta = (b & -b).bit_length() - 1
                # Kempe chain from v: its alpha edge, then beta, alpha, ... (never reaches u).
                path = []
                x = v
                c1, c2 = alpha, beta
                f = at[x].get(c1, -1)
                while f >= 0:
                    path.append(f)
                    x = eu[f] if x == ev[f] else ev[f]
                    c1, c2 = c2, c1
                    f = at[x].get(c1, -1)
                for f in path:
                    cf = col[f]
                    del at[eu[f]][cf]
                    del at[ev[f]][cf]
                for f in path:
                    cf = beta if col[f] == alpha else alpha
                    col[f] = cf
                    at[eu[f]][cf] = f
                    at[ev[f]][cf] = f
                flip = (1 << alpha) | (1 << beta)
                free[v] ^= flip
                free[x] ^= flip
                if len(path) & 1:
                    count[alpha] -= 1
                    count[beta] += 1
                    if count[beta] >= cap:
                        open_mask &= ~(1 << beta)
                    if count[alpha] < cap:
                        open_mask |= 1 << alpha
                c = alpha
        col[e] = c
        at[u][c] = e
        at[v][c] = e
        bit = 1 << c
        free[u] ^= bit
        free[v] ^= bit
        count[c] += 1
        if count[c] >= cap:
            open_mask &= ~bit
    if max(count) > cap:
        _balance(eu, ev, col, at, count, cap)
    return col


def _balance(eu, ev, col, at, count, cap) -> None:
    """Even out colour classes until none exceeds ``cap`` (de Werra's swaps, see module)."""
    k = len(count)
    classes: list[dict[int, None]] = [{} for _ in range(k)]
    for e, c in enumerate(col):
        if c >= 0:
            classes[c][e] = None
    while True:
        big = max(range(k), key=count.__getitem__)
        if count[big] <= cap:
            return
        small = min(range(k), key=count.__getitem__)  # < cap, since k·cap >= edges
        walked: set[int] = set()
        for e in classes[big]:
            if e in walked:
                continue
            path = None
            for x in (eu[e], ev[e]):
                if small in at[x]:
                    continue
                # x ends a big/small path; walk it from x.
                path = []
                c1, c2 = big, small
                f = at[x].get(c1, -1)
                while f >= 0:
                    path.append(f)
                    x = eu[f] if x == ev[f] else ev[f]
                    c1, c2 = c2, c1
                    f = at[x].get(c1, -1)
                walked.update(path)
                if len(path) & 1:
                    break  # starts and ends with big: swap it
                path = None
            if path:
                break
        else:  # pragma: no cover - impossible by de Werra's argument
            raise AssertionError("no alternating path to balance colour classes")
        for f in path:
            cf = col[f]
            del at[eu[f]][cf]
            del at[ev[f]][cf]
        for f in path:
            cf = small if col[f] == big else big
            del classes[col[f]][f]
            classes[cf][f] = None
            col[f] = cf
            at[eu[f]][cf] = f
            at[ev[f]][cf] = f
        count[big] -= 1
        count[small] += 1


def _max_b_matching(inst: _Instance, b: list[int], limit: int,
                    edges: Sequence[int] | None = None) -> list[int]:
    """Largest subset of ``edges`` (default all; at most ``limit``) in which no vertex x has
    more than ``b[x]``, in input order.

    Greedy in input order, then Dinic's blocking flows on the usual network (source ->
    producer with capacity b, edges with capacity 1, distributor -> sink with capacity b):
    a breadth-first search layers the residual graph (producer -unchosen edge-> distributor
    -chosen edge-> producer ...) from the producers with room up to the first distributors
    with room, then depth-first searches augment along layered paths until none is left.
    Maximum by max-flow/min-cut; O(E·√V) phases' worth of work in practice.
    """
    eu, ev, nv, m, na = inst.eu, inst.ev, inst.nv, inst.m, inst.n_producers
    load = [0] * nv
    chosen = [False] * m
    total = 0
    edges = range(m) if edges is None else edges
    for e in edges:
        u, v = eu[e], ev[e]
        if total < limit and load[u] < b[u] and load[v] < b[v]:
            chosen[e] = True
            load[u] += 1
            load[v] += 1
            total += 1
    incident: list[list[int]] = [[] for _ in range(nv)]
    for e in edges:
        incident[eu[e]].append(e)
        incident[ev[e]].append(e)
    while total < limit:
        dist = [-1] * nv
        starts = [x for x in range(na) if load[x] < b[x] and incident[x]]
        for x in starts:
            dist[x] = 0
        queue = list(starts)
        top = -1  # the level of the nearest distributors with room
        for x in queue:
            if 0 <= top <= dist[x]:
                break
            producer = x < na
            for e in incident[x]:
                if chosen[e] == producer:  # producers leave by unchosen edges, distributors
                    continue  # by chosen ones
                y = ev[e] if producer else eu[e]
                if dist[y] < 0:
                    dist[y] = dist[x] + 1
                    if producer and load[y] < b[y]:
                        top = dist[y]
                    queue.append(y)
        if top < 0:
            break
        ptr = [0] * nv
        for s in starts:
            while load[s] < b[s] and total < limit:
                path: list[int] = []  # edges from s
                x = s
                while not (dist[x] == top and load[x] < b[x]):
                    inc = incident[x]
                    producer = x < na
                    i = ptr[x]
                    while i < len(inc):
                        e = inc[i]
                        if chosen[e] != producer:
                            y = ev[e] if producer else eu[e]
                            if dist[y] == dist[x] + 1 and (dist[y] < top or load[y] < b[y]):
                                break
                        i += 1
                    ptr[x] = i
                    if i < len(inc):
                        path.append(inc[i])
                        x = y
                    else:  # dead end: never come here again in this phase
                        dist[x] = -1
                        if not path:
                            break
                        e = path.pop()
                        x = eu[e] if x == ev[e] else ev[e]
                if not path:
                    break
                for e in path:
                    chosen[e] = not chosen[e]
                load[s] += 1
                load[x] += 1
                total += 1
    return [e for e in range(m) if chosen[e]]


# --------------------------------------------------------------- heuristic colouring


class _Constrained:
    """List edge colouring for meetings with unavailability and fixed meetings (heuristic).

    1. Choose a largest set of meetings in which nobody has more meetings than slots they are
       free in, at most S·T in all (a maximum b-matching, so over-full participants drop
       meetings with the whole graph in view). Its size bounds what any schedule can place.
    2. Place those meetings, most constrained first (fewest allowed slots, then busiest
       participants): the earliest slot allowed for both, free at both ends and not full;
       else a Kempe chain swap whose edges all stay in allowed slots; else moving one meeting
       out of a full slot into a slot with room.
    3. While fewer than the bound are placed: retry the failures, then the meetings left out
       in 1, also by evicting the one meeting that blocks a slot if it can go elsewhere.

    Each attempt is limited to ``_PLACE_STEPS`` steps and step 3 to ``_REPAIR_STEPS``, so the
    cost stays near linear however over-subscribed the event is.
    """

    def __init__(self, inst: _Instance):
        self.inst = inst
        nv, m = inst.nv, inst.m
        self.col = [-1] * m
        self.at: list[dict[int, int]] = [{} for _ in range(nv)]
        self.free = [inst.full] * nv  # slots where x has no meeting yet
        self.count = [0] * inst.slots
        self.open = inst.full  # slots with fewer than T meetings
        self.allowed = [inst.allowed(e) for e in range(m)]
        self.locked = [False] * m
        self.classes: dict[int, dict[int, None]] = {}  # slot -> its movable meetings
        self.steps = 0  # work done, for the limits
        for e, (slot, _table) in sorted(inst.fixed.items()):
            self.locked[e] = True
            self.assign(e, slot)

    def assign(self, e: int, c: int) -> None:
        inst = self.inst
        self.col[e] = c
        u, v = inst.eu[e], inst.ev[e]
        self.at[u][c] = e
        self.at[v][c] = e
        bit = 1 << c
        self.free[u] &= ~bit
        self.free[v] &= ~bit
        self.count[c] += 1
        if self.count[c] >= inst.tables:
            self.open &= ~bit
        if not self.locked[e]:
            self.classes.setdefault(c, {})[e] = None

    def release(self, e: int) -> None:
        inst = self.inst
        c = self.col[e]
        self.col[e] = -1
        u, v = inst.eu[e], inst.ev[e]
        del self.at[u][c]
        del self.at[v][c]
        bit = 1 << c
        self.free[u] |= bit
        self.free[v] |= bit
        self.count[c] -= 1
        self.open |= bit
        del self.classes[c][e]

    def chain(self, x: int, c1: int, c2: int, limit: int) -> list[int] | None:
        """The c1/c2 alternating path from ``x`` (which has a c1 edge and no c2 edge), if
        every edge on it may take the other colour, none is fixed and it ends before the step
        ``limit``; else None."""
        eu, ev, at, col, allowed, locked = (self.inst.eu, self.inst.ev, self.at, self.col,
                                             self.allowed, self.locked)
        path = []
        f = at[x].get(c1, -1)
        while f >= 0:
            other = c2 if col[f] == c1 else c1
            if locked[f] or not allowed[f] >> other & 1 or self.steps >= limit:
                return None
            self.steps += 1
            path.append(f)
            x = eu[f] if x == ev[f] else ev[f]
            c1, c2 = c2, c1
            f = at[x].get(c1, -1)
        return path

    def flip(self, path: list[int], a: int, b: int) -> None:
        new = [b if self.col[f] == a else a for f in path]
        for f in path:
            self.release(f)
        for f, c in zip(path, new, strict=True):
            self.assign(f, c)

    def place(self, e: int) -> bool:
        """Place ``e`` (see the class docstring); False, changing nothing, if it cannot."""
        open_ = self.open
        if not open_:
            return False
        inst = self.inst
        u, v = inst.eu[e], inst.ev[e]
        allowed, free = self.allowed[e], self.free
        cand = allowed & free[u] & free[v] & open_
        if cand:
            self.assign(e, _low(cand))
            return True
        limit = self.steps + _PLACE_STEPS
        for alpha in _bits(allowed & free[u] & open_):  # free at u, taken at v
            for beta in _bits(allowed & free[v] & open_):  # free at v, taken at u
                if self.steps >= limit:
                    break
                path = self.chain(v, alpha, beta, limit)
                if path is not None:
                    self.flip(path, alpha, beta)
                    self.assign(e, alpha)
                    return True
                path = self.chain(u, beta, alpha, limit)
                if path is not None:
                    self.flip(path, alpha, beta)
                    self.assign(e, beta)
                    return True
        eu, ev, allowed_of = inst.eu, inst.ev, self.allowed
        for full in _bits(allowed & free[u] & free[v] & ~open_):  # both free, slot full
            for f in self.classes.get(full, ()):
                if self.steps >= limit:
                    return False
                self.steps += 1
                room = allowed_of[f] & free[eu[f]] & free[ev[f]] & open_
                if room:
                    self.release(f)
                    self.assign(f, _low(room))
                    self.assign(e, full)
                    return True
        return False

    def evict(self, e: int) -> bool:
        """Place ``e`` in an allowed slot where one movable meeting blocks it (at one or both
        ends), if that meeting can then be placed elsewhere; otherwise change nothing."""
        if not self.open:
            return False
        inst = self.inst
        u, v = inst.eu[e], inst.ev[e]
        at_u, at_v = self.at[u], self.at[v]
        for c in _bits(self.allowed[e]):
            blockers = {at_u.get(c, -1), at_v.get(c, -1)} - {-1}
            if len(blockers) != 1:
                continue
            (g,) = blockers
            if self.locked[g]:
                continue
            self.release(g)
            self.assign(e, c)
            if self.place(g):
                return True
            self.release(e)
            self.assign(g, c)
        return False

    def run(self) -> list[int]:
        inst = self.inst
        deg, eu, ev = inst.deg, inst.eu, inst.ev
        movable = [e for e in range(inst.m) if e not in inst.fixed]
        caps = [(inst.full & ~inst.unav[x] & ~inst.fixed_busy.get(x, 0)).bit_count()
                for x in range(inst.nv)]
        first = _max_b_matching(inst, caps, inst.slots * inst.tables - len(inst.fixed),
                                movable)

        def key(e):
            return self.allowed[e].bit_count(), -deg[eu[e]] - deg[ev[e]], e

        failed = [e for e in sorted(first, key=key) if not self.place(e)]
        missing = len(failed)  # below the bound |first|
        if not missing:
            return self.col
        chosen = set(first)
        budget = self.steps + _REPAIR_STEPS
        for e in failed + sorted((e for e in movable if e not in chosen), key=key):
            if not missing or self.steps >= budget:
                break
            if self.col[e] < 0 and (self.place(e) or self.evict(e)):
                missing -= 1
        return self.col


# ------------------------------------------------------------------------ public API


def schedule(meetings: Sequence[Meeting], tables: int, slots: int,
             unavailable: Mapping[Participant, Collection[int]] | None = None,
             fixed: Mapping[Hashable, tuple[int, int]] | None = None) -> Schedule:
    """Place ``meetings`` in ``slots`` time slots on ``tables`` tables (shapes and guarantees
    in the module docstring). Raises ValueError for duplicate meeting ids, ``tables < 1``,
    ``slots < 0``, an unknown participant side, or fixed meetings that clash with each other,
    fall outside the slots or tables, or sit in a slot someone marked unavailable.

    Without unavailability and fixed meetings and with ``slots >= lower_bound``, every
    meeting is placed in slots 0..lower_bound-1.
    """
    inst = _Instance(meetings, tables, slots, unavailable, fixed)
    if inst.fixed or any(inst.unav):
        col = _Constrained(inst).run()
        greedy = _first_fit(inst)  # cheap insurance: never place fewer than the baseline
        if sum(c >= 0 for c in greedy) > sum(c >= 0 for c in col):
            col = greedy
    elif slots >= inst.lower_bound:
        col = _colour_exact(inst.nv, inst.eu, inst.ev, list(range(inst.m)), inst.lower_bound,
                            tables, inst.m)
    else:
        chosen = _max_b_matching(inst, [slots] * inst.nv, slots * tables)
        deg = [0] * inst.nv
        for e in chosen:
            deg[inst.eu[e]] += 1
            deg[inst.ev[e]] += 1
        k = max(max(deg, default=0), -(-len(chosen) // tables))
        col = _colour_exact(inst.nv, inst.eu, inst.ev, chosen, k, tables, inst.m)
    return inst.result(col, _tables(inst, col))


def max_placeable(meetings: Sequence[Meeting], tables: int, slots: int,
                  unavailable: Mapping[Participant, Collection[int]] | None = None) -> int:
    """An upper bound on the meetings any schedule can place: the largest set of meetings in
    which nobody has more meetings than slots they are available in (a maximum bipartite
    b-matching), capped at slots·tables. Exact when nobody is unavailable; with unavailability
    it ignores which slots are free, so the true maximum may be lower."""
    inst = _Instance(meetings, tables, slots, unavailable)
    caps = [(inst.full & ~mask).bit_count() for mask in inst.unav]
    return len(_max_b_matching(inst, caps, slots * tables))


def first_fit(meetings: Sequence[Meeting], tables: int, slots: int,
              unavailable: Mapping[Participant, Collection[int]] | None = None,
              fixed: Mapping[Hashable, tuple[int, int]] | None = None) -> Schedule:
    """Greedy baseline: each meeting in input order takes the earliest slot in which both
    sides are free and available and a table is free; unplaced meetings get a reason. It can
    need up to 2Δ-1+⌊(M-1)/T⌋ slots where :func:`schedule` needs max(Δ, ⌈M/T⌉)."""
    inst = _Instance(meetings, tables, slots, unavailable, fixed)
    col = _first_fit(inst)
    return inst.result(col, _tables(inst, col))


def _first_fit(inst: _Instance) -> list[int]:
    busy = [inst.unav[x] | inst.fixed_busy.get(x, 0) for x in range(inst.nv)]
    count: dict[int, int] = {}
    col = [-1] * inst.m
    for e, (slot, _table) in inst.fixed.items():
        col[e] = slot
        count[slot] = count.get(slot, 0) + 1
    full = 0
    for slot, n in count.items():
        if n >= inst.tables:
            full |= 1 << slot
    for e in range(inst.m):
        if col[e] >= 0:
            continue
        u, v = inst.eu[e], inst.ev[e]
        free = ~(busy[u] | busy[v] | full)  # negative: all slots above the used ones are free
        c = (free & -free).bit_length() - 1
        if c >= inst.slots:
            continue
        col[e] = c
        bit = 1 << c
        busy[u] |= bit
        busy[v] |= bit
        count[c] = count.get(c, 0) + 1
        if count[c] >= inst.tables:
            full |= bit
    return col


def validate(result: Schedule, meetings: Sequence[Meeting], tables: int, slots: int,
             unavailable: Mapping[Participant, Collection[int]] | None = None,
             fixed: Mapping[Hashable, tuple[int, int]] | None = None) -> list[str]:
    """Everything wrong with ``result`` as a schedule of ``meetings`` (empty list: valid).

    Checks: each meeting placed or unplaced exactly once, with a known reason; slots in
    0..slots-1 and tables in 1..tables; no two meetings at one table in one slot; nobody in two
    meetings in one slot; nobody in a slot they marked unavailable; fixed meetings where they
    were; ``slots_used`` and ``lower_bound`` as defined.
    """
    problems: list[str] = []
    ends = {mid: ((PRODUCER, a), (DISTRIBUTOR, b)) for mid, a, b in meetings}
    unplaced_ids = [mid for mid, _ in result.unplaced]
    unplaced_set = set(unplaced_ids)
    if len(unplaced_set) != len(unplaced_ids):
        problems.append("a meeting is listed twice as unplaced")
    for mid, reason in result.unplaced:
        if reason not in REASONS:
            problems.append(f"meeting {mid!r}: unknown reason {reason!r}")
        if mid in result.placed:
            problems.append(f"meeting {mid!r} is both placed and unplaced")
    for mid in ends:
        if mid not in result.placed and mid not in unplaced_set:
            problems.append(f"meeting {mid!r} is neither placed nor unplaced")
    for mid in list(result.placed) + unplaced_ids:
        if mid not in ends:
            problems.append(f"meeting {mid!r} is not one of the meetings")
    blocked = {(who, s) for who, marked in (unavailable or {}).items() for s in marked}
    seats: dict[tuple[int, int], Hashable] = {}
    booked: dict[tuple[Participant, int], Hashable] = {}
    per_slot: dict[int, int] = {}
    for mid, (slot, table) in result.placed.items():
        if not (0 <= slot < slots):
            problems.append(f"meeting {mid!r}: slot {slot} outside 0..{slots - 1}")
        if not (1 <= table <= tables):
            problems.append(f"meeting {mid!r}: table {table} outside 1..{tables}")
        if (slot, table) in seats:
            problems.append(f"meetings {seats[slot, table]!r} and {mid!r} share slot {slot} "
                            f"table {table}")
        seats[slot, table] = mid
        per_slot[slot] = per_slot.get(slot, 0) + 1
        for who in ends.get(mid, ()):
            if (who, slot) in booked:
                problems.append(f"{who} double-booked in slot {slot}: "
                                f"{booked[who, slot]!r} and {mid!r}")
            booked[who, slot] = mid
            if (who, slot) in blocked:
                problems.append(f"meeting {mid!r}: {who} is unavailable in slot {slot}")
    for slot, n in per_slot.items():
        if n > tables:
            problems.append(f"slot {slot} has {n} meetings for {tables} tables")
    for mid, place in (fixed or {}).items():
        if result.placed.get(mid) != tuple(place):
            problems.append(f"fixed meeting {mid!r} moved from {place} to "
                            f"{result.placed.get(mid)}")
    used = max((slot for slot, _t in result.placed.values()), default=-1) + 1
    if result.slots_used != used:
        problems.append(f"slots_used is {result.slots_used}, the schedule uses {used}")
    degree: dict[Participant, int] = {}
    for pair in ends.values():
        for who in pair:
            degree[who] = degree.get(who, 0) + 1
    bound = max(max(degree.values(), default=0), -(-len(ends) // tables))
    if result.lower_bound != bound:
        problems.append(f"lower_bound is {result.lower_bound}, max(Δ, ⌈M/T⌉) is {bound}")
    return problems
