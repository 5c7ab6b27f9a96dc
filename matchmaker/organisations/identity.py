"""When are two organisation names the same organisation?

:func:`identity_key` reduces a name to a key in which the usual ways of writing one name agree:
case, diacritics, đ/Đ, spacing and punctuation, and the abbreviations of Vietnamese legal forms
and common trade words (CP / cổ phần, TNHH, HTX / hợp tác xã, XNK / xuất nhập khẩu, …).
"""

import re

from matchmaker.text import fold

# Folded phrase -> canonical token. Longer phrases first, so "cong ty co phan" wins over "co phan".
_PHRASES = [
    ("cong ty trach nhiem huu han", "tnhh"),
    ("trach nhiem huu han", "tnhh"),
    ("cong ty co phan", "cp"),
    ("cong ty tnhh", "tnhh"),
    ("cong ty cp", "cp"),
    ("cty tnhh", "tnhh"),
    ("cty cp", "cp"),
    ("ctcp", "cp"),
    ("co phan", "cp"),
    ("hop tac xa", "htx"),
    ("xuat nhap khau", "xnk"),
    ("doanh nghiep tu nhan", "dntn"),
    ("mot thanh vien", "mtv"),
    ("ho kinh doanh", "hkd"),
]
_PHRASE_RE = re.compile(r"\b(" + "|".join(re.escape(p) for p, _ in _PHRASES) + r")\b")
_TOKENS = dict(_PHRASES)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def identity_key(name: str | None) -> str:
    """Canonical key of an organisation name.

    ``"Công ty CP thủy sản Nghệ An"`` and ``"CÔNG TY CỔ PHẦN THUỶ SẢN NGHỆ AN"`` both give
    ``"cp thuy san nghe an"``. Returns ``""`` for an empty name.
    """
    folded = _NON_WORD.sub(" ", fold(name)).strip()
    return _PHRASE_RE.sub(lambda m: _TOKENS[m.group(1)], folded)
