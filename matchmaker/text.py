"""Vietnamese text rules: normalisation, tone-mark placement, search folding, collation, slugs.

Pure functions with no Flask dependency. Every function accepts ``str | None`` and treats
``None`` as the empty string, so callers can pass nullable database columns directly.

Outside rules used here:

* Unicode normalisation forms NFC/NFD (Unicode Standard Annex #15).
* Vietnamese alphabet order (29 letters, chữ Quốc ngữ) and tone order: the CLDR ``vi``
  collation tailoring (``common/collation/vi.xml``: ``&a<ă<â &d<đ &e<ê &o<ô<ơ &u<ư`` and
  tones ``̀ << ̉ << ̃ << ́ << ̣``), which matches the order of Vietnamese dictionaries such as
  Hoàng Phê's *Từ điển tiếng Việt*: no tone, huyền, hỏi, ngã, sắc, nặng.
* Tone-mark placement: the "old"/classic style (``hòa``, ``thủy``, ``khỏe``) used by the
  General Statistics Office (GSO) administrative-unit list (e.g. "Thanh Hóa", "Khánh Hòa").
"""

import re
import unicodedata
from collections.abc import Callable

__all__ = ["fold", "normalise", "slug", "sort_key", "unify_tone_marks"]

# Tone marks (combining code points) in collation order: huyền, hỏi, ngã, sắc, nặng.
_TONE_MARKS = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
_TONE_RANK = {mark: rank for rank, mark in enumerate(_TONE_MARKS, start=1)}
# Marks that make a different letter (ă â ê ô ơ ư) rather than a tone: breve, circumflex, horn.
_QUALITY_MARKS = frozenset("\u0306\u0302\u031b")
_VOWELS = "aăâeêioôơuưy"
_ASCII_VOWELS = frozenset("aeiouy")

# Vietnamese alphabet with the four non-Vietnamese Latin letters (f j w z) in Latin position.
_ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_ALPHA_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET, start=1)}


def _build_vowel_tables() -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], str]]:
    split: dict[str, tuple[str, str]] = {}
    compose: dict[tuple[str, str], str] = {}
    for vowel in _VOWELS + _VOWELS.upper():
        for mark in _TONE_MARKS:
            toned = unicodedata.normalize("NFC", vowel + mark)
            # All 120 toned Vietnamese vowels are precomposed in Unicode; guard anyway so a
            # decomposed result can never end up as a dict key that NFC text cannot contain.
            if len(toned) == 1:
                split[toned] = (vowel, mark)
                compose[(vowel, mark)] = toned
    return split, compose


# Toned vowel -> (same vowel without tone, tone mark), and the inverse. Case is kept.
_SPLIT_TONE, _COMPOSE_TONE = _build_vowel_tables()


class _LazyTable(dict[int, str]):
    """A ``str.translate`` table that computes and caches the entry for a code point on
    first sight, so translation of already-seen characters runs entirely in C."""

    def __init__(self, compute: Callable[[str], str]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, codepoint: int) -> str:
        value = self._compute(chr(codepoint))
        self[codepoint] = value
        return value


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "M"


# Primary-key encoding: every character becomes (class, payload) pairs, so comparing the
# encoded strings compares classes first: space < punctuation < digits < letters < others.
def _primary_entry(ch: str) -> str:
    if ch.isspace():
        return "\x01\x00"
    if _is_mark(ch):
        return ""  # a stray combining mark never changes the primary order
    if ch.isdecimal():
        return "\x03" + chr(0x30 + unicodedata.decimal(ch))
    if not ch.isalpha():
        return "\x02" + ch
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    quality = "".join(m for m in decomposed[1:] if m in _QUALITY_MARKS)
    letter = unicodedata.normalize("NFC", base.lower() + quality)
    if letter in _ALPHA_RANK:
        return "\x04" + chr(_ALPHA_RANK[letter])
    parts = []
    for c in base.casefold():  # casefold may expand, e.g. "ß" -> "ss"
        if unicodedata.combining(c):
            continue
        rank = _ALPHA_RANK.get(c)
        parts.append("\x04" + chr(rank) if rank else "\x05" + c)
    return "".join(parts)


# Tone-key encoding: a toned vowel yields its tone rank ("1".."5"), an untoned letter yields
# nothing and every non-letter yields "\x00". Comparing these strings compares tones syllable
# by syllable wherever the tone sits inside the syllable, and "no tone" sorts first because
# the separator (or end of string) comes before any rank.
def _tone_entry(ch: str) -> str:
    if _is_mark(ch):
        return str(_TONE_RANK[ch]) if ch in _TONE_RANK else ""
    if not ch.isalpha():
        return "\x00"
    decomposed = unicodedata.normalize("NFD", ch)
    if decomposed[0].lower() in _ASCII_VOWELS:
        for mark in decomposed[1:]:
            if mark in _TONE_RANK:
                return str(_TONE_RANK[mark])
    return ""


def _case_entry(ch: str) -> str:
    if _is_mark(ch):
        return ""
    return "\x02" if ch.isupper() else "\x01"  # lower case first, as in CLDR's default


def _untoned_entry(ch: str) -> str:
    if ch in _TONE_RANK:
        return ""
    pair = _SPLIT_TONE.get(ch)
    return pair[0] if pair else ch


def _fold_entry(ch: str) -> str:
    if ch == "đ":
        return "d"
    return "" if unicodedata.category(ch) in ("Mn", "Me") else ch


_PRIMARY = _LazyTable(_primary_entry)
_TONES = _LazyTable(_tone_entry)
_CASE = _LazyTable(_case_entry)
_UNTONED = _LazyTable(_untoned_entry)
_FOLD = _LazyTable(_fold_entry)


def _prewarm() -> None:
    # Fill the tables for ASCII and every Vietnamese letter at import time so the common case
    # never reaches unicodedata during a sort.
    letters = set(map(chr, range(0x20, 0x7F)))
    letters.update(_SPLIT_TONE)
    letters.update("ăâđêôơưĂÂĐÊÔƠƯ")
    letters.update(_TONE_MARKS)
    for ch in letters:
        for table in (_PRIMARY, _TONES, _CASE, _UNTONED, _FOLD):
            table[ord(ch)]  # noqa: B018 - the lookup itself populates the cache


_prewarm()

# A "word" is a run of letters; in Vietnamese each space-separated word is one syllable.
_WORD_RE = re.compile(r"[^\W\d_]+")
_NEW_STYLE_PAIRS = frozenset({"oa", "oe", "uy"})
_SLUG_JUNK_RE = re.compile(r"[^a-z0-9]+")


# Control (Cc) and format (Cf) characters: NUL, escape, zero-width spaces, BOM, bidi overrides.
# None belongs in a name or a one-line field; a NUL cannot even be stored in PostgreSQL text.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e"
                        r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")


def strip_invisible(s: str | None) -> str:
    """``s`` without control and format characters (tab and newline are kept), NFC.

    For multi-line text (descriptions, notes) that must keep its line breaks; ``None`` gives
    ``""``.
    """
    if not s:
        return ""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", s))


def normalise(s: str | None) -> str:
    """Return ``s`` as a clean one-line value: NFC, control and format characters removed
    (NUL, zero-width spaces, bidi overrides, …), outer whitespace stripped and inner
    whitespace collapsed.

    Input: any string (NFC, NFD or mixed) or ``None``. Output: an NFC ``str`` in which every
    run of Unicode whitespace (space, tab, newline, NBSP U+00A0, narrow NBSP U+202F, ...)
    is one ASCII space, with none at either end; ``None`` gives ``""``. Never raises.
    A string of nothing but invisible characters gives ``""``.
    """
    if not s:
        return ""
    return " ".join(strip_invisible(s).split())


def _unify_word(match: re.Match[str]) -> str:
    word = match.group()
    if len(word) < 2:
        return word
    after = match.string[match.end() : match.end() + 1]
    if after and _is_mark(after):
        # A combining mark NFC could not attach (e.g. a second tone) makes the syllable
        # malformed; moving a tone could let NFC recompose it, so leave the word alone.
        return word
    second = _SPLIT_TONE.get(word[-1])
    first = word[-2]
    # Only act when the tone sits on the second vowel and the first is a plain o/u.
    if second is None or first not in "oOuU":
        return word
    plain_second, tone = second
    pair = (first + plain_second).lower()
    if pair not in _NEW_STYLE_PAIRS:
        return word
    if pair == "uy" and len(word) >= 3 and word[-3] in "qQ":
        return word  # "qu" is a consonant, so "quý" has one vowel and no placement choice
    return word[:-2] + _COMPOSE_TONE[(first, tone)] + plain_second


def unify_tone_marks(s: str | None) -> str:
    """Return NFC ``s`` with tone marks moved to the old/classic placement.

    Rule (GSO / classic orthography): in a syllable that *ends* with the vowel pair
    "oa", "oe" or "uy" (no final consonant; for "uy" not after "q"), the tone goes on the
    first vowel of the pair: "hoà" -> "hòa", "thuỷ" -> "thủy", "Khoẻ" -> "Khỏe",
    "HOÀ" -> "HÒA". Syllables where both styles agree are unchanged: "hoàn", "thuyền",
    "quý", "quà", "khuya". A malformed syllable followed by a stray combining mark (e.g. a
    second tone) is left alone. Case is preserved. Whitespace and everything else are left
    as they are (apart from NFC normalisation). ``None`` gives ``""``. Never raises.
    """
    if not s:
        return ""
    return _WORD_RE.sub(_unify_word, unicodedata.normalize("NFC", s))


def fold(s: str | None) -> str:
    """Return the accent- and case-insensitive search key of ``s``.

    Steps: :func:`normalise`, ``str.casefold``, NFD, drop every combining mark (Unicode
    categories Mn/Me, which removes Vietnamese tones and the breve/circumflex/horn),
    map "đ" to "d" (Đ is already casefolded to đ), NFC, collapse whitespace again.
    So ``fold("Nước mắm") == fold("NUOC  MAM") == "nuoc mam"`` and NFC/NFD inputs and old/new
    tone placements fold equally. Other stroke letters (ø, ł) are kept. Output: ``str``,
    ``""`` for ``None``. Never raises. Idempotent: ``fold(fold(s)) == fold(s)``.
    """
    decomposed = unicodedata.normalize("NFD", normalise(s).casefold())
    stripped = unicodedata.normalize("NFC", decomposed.translate(_FOLD))
    return " ".join(stripped.split())


def fold_to(s: str | None, length: int) -> str:
    """:func:`fold` cut to at most ``length`` characters, for key columns of that width.

    Folding can lengthen text ("ß" → "ss", "ﬃ" → "ffi", some NFC expansions), so the key of
    a value that fits its own column may not fit the key's; cutting loses only a search for
    the very end of such a value.
    """
    return fold(s)[:length]


def sort_key(s: str | None) -> tuple[str, str, str, str]:
    """Return a key for sorting ``s`` in Vietnamese alphabetical order.

    Use as ``sorted(names, key=sort_key)``. The key is a 4-tuple of opaque strings compared
    level by level (only compare keys with each other; do not store or display them):

    1. Primary: letters in the Vietnamese order a ă â b c d đ e ê g h i k l m n o ô ơ p q r
       s t u ư v x y (f j w z slotted in Latin order), ignoring case and tones. A space sorts
       before punctuation, punctuation before digits, digits (compared digit by digit, not
       numerically) before letters, and non-Latin letters after Latin ones, by code point.
       So "An Giang" < "Anh" (syllable by syllable, as in dictionaries).
    2. Tones, syllable by syllable: none < huyền < hỏi < ngã < sắc < nặng (CLDR ``vi``
       collation). Where the mark sits in the syllable does not matter, so old and new
       placement ("hoà"/"hòa") give equal keys.
    3. Case: lower case before upper case.
    4. The NFC text with tone marks removed, as a deterministic final tie-break.

    Input is passed through :func:`normalise` first, so NFC/NFD and extra whitespace do not
    change the key. ``None`` sorts like ``""`` (first). Never raises. Cost: four C-level
    ``str.translate`` calls over cached tables; sorting 100 000 short names takes well under
    a second.
    """
    text = normalise(s)
    return (
        text.translate(_PRIMARY),
        text.translate(_TONES),
        text.translate(_CASE),
        text.translate(_UNTONED),
    )


def slug(s: str | None) -> str:
    """Return an ASCII URL slug: :func:`fold`, runs of anything but ``[a-z0-9]`` -> ``-``.

    ``slug("Nước mắm Cửa Lò") == "nuoc-mam-cua-lo"``; leading/trailing dashes are removed.
    Letters that fold to non-ASCII (Chinese, Thai, "ø", ...) are dropped, so the result can be
    ``""``: callers that need a non-empty slug must supply a fallback (e.g. the row id).
    Slugs are not unique; never use one as a key. Never raises.
    """
    return _SLUG_JUNK_RE.sub("-", fold(s)).strip("-")
