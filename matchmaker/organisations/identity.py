"""When are two organisation names the same organisation?

:func:`identity_key` reduces a name to a key in which the usual ways of writing one name agree:
case, diacritics, đ/Đ, old/new tone placement, i/y in syllables such as "Sỹ"/"Sĩ", spacing and
punctuation, and the abbreviations of Vietnamese legal forms and trade words (CP / cổ phần /
CTCP, TNHH / trách nhiệm hữu hạn, MTV / một thành viên, HTX / hợp tác xã, DNTN, XNK / xuất
nhập khẩu, SX / sản xuất, TM / thương mại, DV / dịch vụ). "Công ty" / "Cty" is dropped: it
says nothing the legal form does not. Names with equal keys are one organisation.

:func:`match_score` says how alike two keys are when they differ: one name that contains the
other plus a place ("… Vạn Phần" / "… Vạn Phần Diễn Châu"), or a near spelling. Such pairs are
not merged automatically; an organiser confirms or splits them.

Legal forms follow the Law on Enterprises 2020 (công ty TNHH, công ty cổ phần, công ty hợp
danh, doanh nghiệp tư nhân), the Law on Cooperatives 2023 (hợp tác xã, liên hiệp hợp tác xã,
tổ hợp tác) and Decree 01/2021/NĐ-CP (hộ kinh doanh).
"""

import re
from difflib import SequenceMatcher

from matchmaker.text import fold, normalise

__all__ = [
    "CLOSE_MATCH",
    "CloseMatchIndex",
    "core_tokens",
    "identity_key",
    "legal_form_of",
    "match_score",
    "placeholder_reason",
]

# Folded phrase -> canonical token ("" drops it). Matched longest first, on word boundaries.
_PHRASES = {
    "cong ty trach nhiem huu han": "tnhh",
    "trach nhiem huu han": "tnhh",
    "cong ty co phan": "cp",
    "ctcp": "cp",
    "co phan": "cp",
    "cong ty hop danh": "hopdanh",
    "cong ty": "",
    "cty": "",
    "c ty": "",
    "mot thanh vien": "mtv",
    "1 thanh vien": "mtv",
    "1tv": "mtv",
    "hai thanh vien tro len": "2tv",
    "2 thanh vien tro len": "2tv",
    "hai thanh vien": "2tv",
    "2 thanh vien": "2tv",
    "lien hiep hop tac xa": "lhhtx",
    "lien hiep htx": "lhhtx",
    "hop tac xa": "htx",
    "to hop tac": "tht",
    "doanh nghiep tu nhan": "dntn",
    "ho kinh doanh": "hkd",
    "xuat nhap khau": "xnk",
    "san xuat": "sx",
    "thuong mai": "tm",
    "dich vu": "dv",
    "va": "",  # "sản xuất và thương mại" = "SX&TM" = "SX-TM"
}
_PHRASE_RE = re.compile(
    r"\b(" + "|".join(re.escape(p) for p in sorted(_PHRASES, key=len, reverse=True)) + r")\b"
)
_NON_WORD = re.compile(r"[^0-9a-z]+")
# A syllable whose only vowel is a final y/i after consonants: "Sỹ"/"Sĩ", "Kỳ"/"Kì", "Lý"/"Lí".
_Y_SYLLABLE = re.compile(r"\b((?:[bcdghklmnpqrstvx]+|qu))y\b")

#: Tokens naming a legal form; they are left out when comparing what remains of two names.
LEGAL_FORM_TOKENS = frozenset({"tnhh", "cp", "hopdanh", "mtv", "2tv", "lhhtx", "htx", "tht",
                               "dntn", "hkd"})
_LEGAL_FORMS = (  # first token found decides; values are organisations.models.LegalForm's
    ("hopdanh", "partnership"),
    ("cp", "joint_stock"),
    ("tnhh", "limited"),
    ("lhhtx", "cooperative"),
    ("htx", "cooperative"),
    ("tht", "cooperative_group"),
    ("dntn", "private"),
    ("hkd", "household"),
)
# A household business is often written "Cơ sở …" or "Hộ …".
_HOUSEHOLD_START = re.compile(r"^(co so|ho)\b")

#: Scores at or above this make two organisations a pair for an organiser to review.
CLOSE_MATCH = 0.85
# Extra words one name may have over the other and still count as "the same plus a place".
_MAX_EXTRA_TOKENS = 3


def identity_key(name: str | None) -> str:
    """Canonical key of an organisation name (see the module docstring).

    ``"Công ty CP thủy sản Nghệ An"``, ``"CÔNG TY CỔ PHẦN THUỶ SẢN NGHỆ AN"`` and
    ``"CTCP Thuỷ sản Nghệ An"`` all give ``"cp thuy san nghe an"``;
    ``"Công ty TNHH sản xuất và thương mại Hồng Sơn"`` and ``"Cty TNHH SX&TM Hồng Sơn"`` give
    ``"tnhh sx tm hong son"``. Returns ``""`` for an empty name. Never raises.
    """
    folded = " ".join(_NON_WORD.sub(" ", fold(name)).split())
    canonical = _PHRASE_RE.sub(lambda m: _PHRASES[m.group(1)], folded)
    return " ".join(_Y_SYLLABLE.sub(r"\1i", canonical).split())


def core_tokens(key: str) -> tuple[str, ...]:
    """The words of an :func:`identity_key` without its legal-form tokens."""
    return tuple(t for t in key.split() if t not in LEGAL_FORM_TOKENS)


def legal_form_of(name: str | None) -> str | None:
    """The legal form a name states, as a ``LegalForm`` value, or None when it says none.

    "Công ty CP …" -> ``"joint_stock"``, "Công ty TNHH …" -> ``"limited"``, "HTX …" ->
    ``"cooperative"``, "DNTN …" -> ``"private"``, "Hộ kinh doanh …" / "Cơ sở …" ->
    ``"household"``; "Công ty Đầu tư và sản xuất ATC" -> None (a company, form not stated).
    """
    tokens = set(identity_key(name).split())
    for token, form in _LEGAL_FORMS:
        if token in tokens:
            return form
    if _HOUSEHOLD_START.match(fold(name)):
        return "household"
    return None


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    size = len(shorter)
    return any(longer[i:i + size] == shorter for i in range(len(longer) - size + 1))


def match_score(key_a: str, key_b: str, threshold: float = 0.0) -> float:
    """How alike two :func:`identity_key` values are, from 0 to 1 (1 = the same key).

    Compares the names without their legal forms. Scores at least :data:`CLOSE_MATCH` when
    one name is the other with up to three more words (a place name: "cp thuy san van phan"
    / "cp thuy san van phan dien chau"), 0.95 for the same name with another legal form, and
    otherwise the difflib ratio of the two names (near spellings: a dropped or swapped letter).
    Names of one or no word beyond the legal form, and names that differ in a number ("HTX số
    1" / "HTX số 2"), score 0: too little to go on.

    With ``threshold``, a score below it may be returned as a cheaper upper bound (difflib's
    quick ratios) instead of the exact ratio: for callers that only compare with it.
    """
    if key_a == key_b:
        return 1.0
    core_a, core_b = core_tokens(key_a), core_tokens(key_b)
    if min(len(core_a), len(core_b)) < 2:
        return 0.0
    if {t for t in core_a if t.isdigit()} != {t for t in core_b if t.isdigit()}:
        return 0.0
    text_a, text_b = " ".join(core_a), " ".join(core_b)
    if text_a == text_b:
        return 0.95  # same name, different (or missing) legal form
    shorter, longer = sorted((core_a, core_b), key=len)
    contained = len(longer) - len(shorter) <= _MAX_EXTRA_TOKENS and _contains(longer, shorter)
    matcher = SequenceMatcher(None, text_a, text_b, autojunk=False)
    if not contained:
        bound = min(matcher.real_quick_ratio(), matcher.quick_ratio())
        if bound < threshold:
            return bound
    ratio = matcher.ratio()
    return max(ratio, CLOSE_MATCH) if contained else ratio


class CloseMatchIndex:
    """Finds, among many names, those :func:`match_score` puts at or above
    :data:`CLOSE_MATCH`, without comparing every pair.

    ``add(key, item)`` files an :func:`identity_key` with any hashable ``item`` (an id, an
    object); ``close_to(key)`` returns ``[(score, item), …]``, best first. Candidates come
    from three look-ups: names containing this one (a dict of every run of two or more
    words), names this one contains (the runs of this name in a dict of whole names), and
    near spellings, which must share all words but one (so they hold one of this name's two
    rarest words: only those words' lists are read). A near spelling that differs in two
    words is not found.
    """

    def __init__(self) -> None:
        self._whole: dict[tuple[str, ...], set] = {}
        self._runs: dict[tuple[str, ...], set] = {}
        self._postings: dict[str, set] = {}
        self._keys: dict = {}
        self._words: dict = {}

    @staticmethod
    def _runs_of(core: tuple[str, ...], shortest: int) -> set[tuple[str, ...]]:
        return {core[i:j] for i in range(len(core))
                for j in range(i + max(2, shortest), len(core) + 1)}

    def add(self, key: str, item) -> None:
        """File ``item`` under ``key`` (an identity key)."""
        core = core_tokens(key)
        self._keys[item] = key
        self._words[item] = frozenset(core)
        if len(core) < 2:
            return  # match_score never pairs such names
        self._whole.setdefault(core, set()).add(item)
        for run in self._runs_of(core, 2):
            self._runs.setdefault(run, set()).add(item)
        for token in set(core):
            self._postings.setdefault(token, set()).add(item)

    def close_to(self, key: str) -> list[tuple[float, object]]:
        """Items whose key scores at least :data:`CLOSE_MATCH` against ``key``."""
        core = core_tokens(key)
        if len(core) < 2:
            return []
        found = set(self._runs.get(core, ()))
        for run in self._runs_of(core, len(core) - _MAX_EXTRA_TOKENS):
            found.update(self._whole.get(run, ()))
        words = frozenset(core)
        rarest = sorted(words, key=lambda t: len(self._postings.get(t, ())))[:2]
        for token in rarest:
            for item in self._postings.get(token, ()):
                other = self._words[item]
                if item not in found and len(words & other) >= max(len(words), len(other)) - 1:
                    found.add(item)
        scored = []
        for item in found:
            score = match_score(key, self._keys[item], CLOSE_MATCH)
            if score >= CLOSE_MATCH:
                scored.append((score, item))
        scored.sort(key=lambda pair: -pair[0])
        return scored


# How sources write "no producer named": folded text containing one of these.
_NOT_STATED = ("not stated", "not named", "unknown", "khong ro", "chua ro", "khong xac dinh",
               "chua xac dinh", "khong co", "n a")
_WITHHELD = ("withheld", "an danh", "giau ten", "khong cong bo")


def placeholder_reason(name: str | None) -> str | None:
    """Why ``name`` is not an organisation, or None when it may be one.

    ``"producer_missing"``: empty, or only punctuation ("-", "?", "…").
    ``"producer_withheld"``: a stand-in for a name kept back, e.g.
    "(household business – name withheld)", "(ẩn danh)".
    ``"producer_not_stated"``: a note that the source names nobody, e.g.
    "(not stated in source excerpt)", "không rõ", "N/A".
    """
    text = normalise(name)
    words = " ".join(_NON_WORD.sub(" ", fold(text)).split())
    if not words:
        return "producer_missing"
    if any(w in words for w in _WITHHELD):
        return "producer_withheld"
    bracketed = text.startswith(("(", "[")) and text.endswith((")", "]"))
    if bracketed or any(words == w or words.startswith(w + " ") for w in _NOT_STATED):
        return "producer_not_stated"
    return None
