"""Comparable keys for duplicate detection: normalised titles and their subtitle heads, author
surnames, DOIs, abstract fingerprints.

Exports spell the same work differently (case, punctuation, HTML entities and tags, diacritics and
Greek letters, MEDLINE's '[Article in German]', a subtitle kept, dropped or added, "Smith AB" vs
"Anna B. Smith", 'doi:10.1/X.' vs '10.1/x'); these keys make such spellings compare equal while keeping
the signals that tell different works apart (part numbers, "Erratum", "Reply to").
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote

_TAG = re.compile(r"<[^>]{1,40}>")
# What databases add to a title that is not part of it: MEDLINE's language and translation notes,
# Ovid's review and reference-count tags.
_EXPORT_NOTES = re.compile(
    r"\[\s*(?:article|text)\s+in\s+[^\]]{1,60}\]|\(\s*authors?'?\s*'?s?\s+transl(?:ation)?\.?\s*\)"
    r"|\[\s*review\s*\]|\[\s*\d+\s+refs?\s*\]", re.IGNORECASE)
_GREEK = str.maketrans({
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "ο": "omicron",
    "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi",
    "ψ": "psi", "ω": "omega",
})
_DOI = re.compile(r"10\.\d{4,9}/\S+")
# Every place a title can continue with a subtitle; the text before each is a 'head' of the title.
_HEAD_SPLIT = re.compile(r"\s*(?::|\?\s|\.\s|;\s|\s[-\u2013\u2014]+\s|\s\()\s*")
_COPYRIGHT = re.compile(r"(?:\(c\)|\u00a9|copyright)\s.{0,200}$", re.IGNORECASE)
ABSTRACT_WORDS = 120  # abstract fingerprints compare runs of three of the first words (exports cut the end)
ABSTRACT_CHARS = 1_200  # enough text for ABSTRACT_WORDS words (with some markup)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Separators between a title and its subtitle, as printed by publishers and databases.
_SUBTITLE_SPLIT = re.compile(r"\s*(?::|\?\s|\s[-\u2013\u2014]\s)\s*")
# Notices whose title repeats (or quotes) the title of the work they refer to: never the same record.
_NOTICE_WORDS = frozenset({
    "erratum", "errata", "corrigendum", "corrigenda", "correction", "corrections", "retraction",
    "retracted", "withdrawn", "comment", "comments", "commentary", "reply", "response", "re",
    "letter", "editorial", "expression", "addendum", "rebuttal",
})
_NOTICE_ANYWHERE = frozenset({"erratum", "errata", "corrigendum", "corrigenda", "retraction", "retracted"})
_STOPWORDS = frozenset({
    "the", "and", "for", "with", "from", "into", "via", "its", "their", "are", "was", "were", "among",
    "between", "versus", "after", "during", "using", "based", "study", "new",
})
_ET_AL = re.compile(r"^(?:et\.?\s*al\.?|others)$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
ROMAN_NUMERALS = frozenset({"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"})
_SURNAME_INITIALS = re.compile(r"^(?P<surname>.+?)\s+(?:[A-Z]{1,4}|(?:[A-Z]\.\s?-?){1,4})$")


def _fold(text: str) -> str:
    """Lower case, Greek letters spelled out ('β' -> 'beta', as PubMed writes them), no diacritics,
    only ASCII letters and digits, single spaces."""
    text = text.casefold()  # before NFKD, so 'ß' becomes 'ss'
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_GREEK).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub(" ", text).strip()


def _unescape(text: str) -> str:
    """Undo HTML entities (twice, for "&amp;amp;"), drop inline tags such as <i> or <sup> (a space, so
    'CO<sub>2</sub>' stays two tokens) and the notes an export adds ('[Article in German]')."""
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "[" in text or "(" in text:
        text = _EXPORT_NOTES.sub(" ", text)
    return text


def normalise_title(title: str | None) -> str:
    """The title as a comparison key; '' when there is none."""
    return title_keys(title)[0]


def split_subtitle(title: str) -> tuple[str, str | None]:
    """(title before the first subtitle separator ':' '?' ' - ', the rest or None); text as given."""
    parts = _SUBTITLE_SPLIT.split(title.strip(), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 and parts[0] and parts[1] else (title.strip(), None)


def title_keys(title: str | None) -> tuple[str, str, list[str]]:
    """(normalised title, normalised main title before its first subtitle, heads), '' / [] if none.

    The heads are the normalised text before each subtitle separator, shortest first, spaces removed:
    'A: B. C' -> ['a', 'ab'], the titles another export would print if it dropped one or two subtitles.
    """
    if not title:
        return "", "", []
    text = _unescape(title)
    parts = _HEAD_SPLIT.split(text.strip().strip("[]"))
    heads, head = [], ""
    for part in parts[:-1]:
        head += _fold(part).replace(" ", "")
        if head and (not heads or heads[-1] != head):
            heads.append(head)
    return _fold(text), _fold(split_subtitle(text)[0]), heads


def doi_key(doi: str | None) -> str:
    """The DOI itself, whatever it is wrapped in: 'https://doi.org/10.1/X.', 'DOI: 10.1%2Fx' -> '10.1/x'."""
    if not doi:
        return ""
    text = unquote(str(doi)).strip().lower()
    match = _DOI.search(text)
    return match.group(0).rstrip(".,;") if match else text


def abstract_shingles(abstract: str | None) -> frozenset[tuple[str, str, str]]:
    """The three-word runs of the abstract's first words, without markup or copyright line.

    Two exports of one work share most of them even when one cut the abstract short, dropped its
    section headings or added '© 2020 Elsevier'; two works on one topic share few.
    """
    if not abstract:
        return frozenset()
    start = abstract[:ABSTRACT_CHARS]  # enough for ABSTRACT_WORDS words; keeps long abstracts cheap
    words = _fold(_COPYRIGHT.sub(" ", _TAG.sub(" ", html.unescape(start)))).split()[:ABSTRACT_WORDS]
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def notice_kind(normalised_title: str) -> frozenset[str]:
    """Which notice words mark this title as an erratum/comment/reply rather than the work itself."""
    tokens = normalised_title.split()
    kinds = {token for token in tokens[:3] if token in _NOTICE_WORDS}
    kinds.update(token for token in tokens if token in _NOTICE_ANYWHERE)
    return frozenset(kinds)


def number_tokens(normalised_title: str) -> frozenset[str]:
    """Digit runs and roman numerals: 'Part I' vs 'Part II' or '1998' vs '2008' mark different works.

    Digits are read with spaces removed, so 'IL-8' and 'IL8' (both 'il 8' / 'il8') agree.
    """
    digits = _DIGITS.findall(normalised_title.replace(" ", ""))
    return frozenset(digits + [token for token in normalised_title.split() if token in ROMAN_NUMERALS])


def content_words(normalised_title: str) -> frozenset[str]:
    """Words that carry meaning (3+ letters, not a stop word): a swapped one means a different work."""
    return frozenset(word for word in normalised_title.split()
                     if len(word) >= 3 and not word.isdigit() and word not in _STOPWORDS)


def author_surnames(authors: str | None) -> list[str]:
    """Surname keys of a '; '-joined author list, in order, whatever the name order of each author.

    ('Smith, A.', 'Smith AB', 'Anna Smith' -> 'smith'). The key is the last word of the folded surname,
    so 'De Lignieres B' and 'B. De Lignieres' agree.
    """
    if not authors:
        return []
    surnames = []
    for name in re.split(r";|\|| and | & ", authors):
        name = name.strip()
        if not name or _ET_AL.match(name):
            continue
        if "," in name:
            surname = name.split(",", 1)[0]
        elif (match := _SURNAME_INITIALS.match(name)) is not None:
            surname = match.group("surname")
        else:
            surname = name
        words = _fold(_unescape(surname)).split()
        if words:
            surnames.append(words[-1])
    return surnames
