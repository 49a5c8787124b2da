"""Search keys for names and places, so that lookup finds 王芳 by "王芳", "wang fang" or "wf"
through a plain btree index, on PostgreSQL as on SQLite.

A trigram index (pg_trgm) cannot answer a two-character contains-search (LIKE '%王芳%' has no
whole trigram, so PostgreSQL reads the table), and SQLite has no such index at all. So each
name (of a contact, an account, an account's address's place) is stored as a few keys, each
(kind, key):

- CJK: every two-character run of Chinese characters ("青岛港湾医疗集团": 青岛, 岛港, 港湾, ...).
  A caller's text of two or more Chinese characters is found where every two-character run of
  it is a key of the same name: 王芳 is one exact key lookup.
- PINYIN: the whole name in toneless pinyin, lower-case, letters and digits only ("wangfang"),
  and for a Chinese personal name the given name before the surname ("fangwang", as foreigners
  write it). Latin letters in a name are kept without their accents, so "Qingdao" is "qingdao"
  and "Müller" "muller". A caller's letters
  (spaces dropped: "wang fang", "Wang Fang" and "wangfang" are alike) match a key exactly, or,
  from MIN_PREFIX letters, as its beginning ("wangf" finds 王芳 and 王芳芳).
- WORDS: the same from each later word or syllable on ("fang", "gangwanyiliaojituan",
  "hospitalgroup"), so that a caller's word finds a name it is not the first word of; such a
  hit ranks with the contains-hits.
- INITIALS: the initials of a name written in Chinese characters ("wf"). They match exactly
  only: "wf" finds 王芳 and 吴峰, not 王方新 (wfx); initials as a prefix would find a tenth of
  all contacts for two letters.

Where the database has no trigram index (SQLite), lookup also finds Latin names by these keys:
the words a caller typed, run together, must begin a word of the name (and each appear in it,
as typed): "acme hosp" finds Acme Hospital Group there, "cme" does not.

Lookup ranks an exact key (the whole name, or its initials) before a prefix before the rest.
"""

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

CJK, PINYIN, WORDS, INITIALS = "c", "p", "w", "i"
KINDS = (CJK, PINYIN, WORDS, INITIALS)
#: At most this many WORDS keys a name (a long name's last words are not keys of their own).
MAX_WORDS = 8
#: The longest key stored (a long account name's pinyin is cut there, and so is the query).
MAX_KEY = 100
#: Pinyin matches as a prefix from this many letters ("wan" finds 王芳; "wa" must be exact).
MIN_PREFIX = 3

#: The CJK Unified Ideographs (and extension A, and the compatibility ones).
_CJK_CHAR = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK_CHAR}]+")
_ONLY_LETTERS = re.compile(r"^[a-z\s]+$")
_NOT_LETTERS = re.compile(r"[^a-z]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
#: Two-character surnames, which stay whole when the given name goes first.
COMPOUND_SURNAMES = frozenset(
    ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容")
    + ("长孙", "宇文", "司徒", "夏侯", "令狐", "端木", "独孤", "南宫", "西门")
)


def _fold(text: str | None) -> str:
    """NFKC (full-width letters from an input method as plain ones), lower-case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text or "") is not None


def bigrams(text: str | None) -> list[str]:
    """Every two-character run of Chinese characters in `text`, in order, without repeats;
    spaces between characters do not count ("王 芳" gives 王芳)."""
    found = []
    for run in _CJK_RUN.findall("".join(_fold(text).split())):
        for i in range(len(run) - 1):
            if run[i : i + 2] not in found:
                found.append(run[i : i + 2])
    return found


def syllables(text: str | None) -> list[str]:
    """`text` as words of letters and digits without accents, Chinese characters in toneless
    pinyin, one a syllable ("王芳 Ltd. 2" -> ["wang", "fang", "ltd", "2"], "Müller" ->
    ["muller"])."""
    return [
        word
        for part in lazy_pinyin(_fold(text))
        for word in _NOT_ALNUM.split(unicodedata.normalize("NFKD", part))
        if word
    ]


def pinyin(text: str | None) -> str:
    """`text` in toneless pinyin, letters and digits ("王芳 Ltd 2" -> "wangfangltd2")."""
    return "".join(syllables(text))[:MAX_KEY]


def compact(text: str | None) -> str:
    """`text` as keys are written, its words run together ("Acme hosp" -> "acmehosp"); "" for
    text with Chinese characters (found by its two-character runs instead)."""
    return "" if has_cjk(text or "") else pinyin(text)


def _surname_last(name: str) -> str:
    """A Chinese personal name (2 to 4 characters) with the given name first: 王芳 -> 芳王."""
    if not 2 <= len(name) <= 4 or _CJK_RUN.fullmatch(name) is None:
        return ""
    cut = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[cut:] + name[:cut]


def name_keys(name: str | None, *, personal: bool = False) -> set[tuple[str, str]]:
    """The (kind, key) pairs `name` is found by; `personal`: a person's name (given name
    first as well)."""
    words = syllables(name)
    folded = "".join(_fold(name).split())
    keys = {(CJK, pair) for pair in bigrams(folded)}
    if words:
        keys.add((PINYIN, "".join(words)[:MAX_KEY]))
    for i in range(1, min(len(words), MAX_WORDS)):
        keys.add((WORDS, "".join(words[i:])[:MAX_KEY]))
    cjk = "".join(_CJK_RUN.findall(folded))
    if cjk:
        initials = "".join(lazy_pinyin(cjk, style=Style.FIRST_LETTER))
        initials = _NOT_LETTERS.sub("", initials)[:MAX_KEY]
        if len(initials) >= 2:
            keys.add((INITIALS, initials))
        if personal and (reversed_name := _surname_last(folded)):
            keys.add((PINYIN, pinyin(reversed_name)))
    return keys


def typed_pinyin(text: str | None) -> str:
    """What a caller typed as pinyin or initials, letters only ("Wang Fang" -> "wangfang"), or
    "" when it is not made of Latin letters and spaces only ("o'brien" is searched as typed)."""
    folded = " ".join(_fold(text).split())
    if not folded or _ONLY_LETTERS.match(folded) is None:
        return ""
    letters = _NOT_LETTERS.sub("", folded)[:MAX_KEY]
    return letters if len(letters) >= 2 else ""


def next_after(prefix: str) -> str:
    """The smallest text greater than every text starting with `prefix` (in code-point order,
    which is SQLite's and PostgreSQL's "C" collation): the end of a prefix range."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
