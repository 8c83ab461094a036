"""Comparable keys for duplicate detection: normalised titles, main titles, first-author surnames.

Exports spell the same work differently (case, punctuation, HTML entities, diacritics, a subtitle
kept or dropped, "Smith AB" vs "Anna B. Smith"); these keys make such spellings compare equal while
keeping the signals that tell different works apart (part numbers, "Erratum", "Reply to").
"""

from __future__ import annotations

import html
import re
import unicodedata

_TAG = re.compile(r"<[^>]{1,40}>")
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
_DIGITS = re.compile(r"\d+")
_ROMAN = frozenset({"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"})
_SURNAME_INITIALS = re.compile(r"^(?P<surname>.+?)\s+(?:[A-Z]{1,4}|(?:[A-Z]\.\s?-?){1,4})$")


def _fold(text: str) -> str:
    """Lower case, no diacritics, only ASCII letters and digits, single spaces."""
    text = text.casefold()  # before NFKD, so 'ß' becomes 'ss'
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub(" ", text).strip()


def _unescape(text: str) -> str:
    """Undo HTML entities (twice, for "&amp;amp;") and drop inline tags such as <i> or <sup>."""
    return _TAG.sub(" ", html.unescape(html.unescape(text)))


def normalise_title(title: str | None) -> str:
    """The title as a comparison key; '' when there is none."""
    if not title:
        return ""
    return _fold(_unescape(title))


def split_subtitle(title: str) -> tuple[str, str | None]:
    """(title before the first subtitle separator ':' '?' ' - ', the rest or None); text as given."""
    parts = _SUBTITLE_SPLIT.split(title.strip(), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 and parts[0] and parts[1] else (title.strip(), None)


def main_title(title: str | None) -> str:
    """The normalised title before its first subtitle separator; the whole normalised title if none."""
    if not title:
        return ""
    return _fold(split_subtitle(_unescape(title))[0])


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
    return frozenset(digits + [token for token in normalised_title.split() if token in _ROMAN])


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
        if not name:
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
