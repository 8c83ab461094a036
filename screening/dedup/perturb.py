"""Synthetic duplicates: copies of real records altered the way a second database export alters them.

Used by the dedup tests and benchmarks to measure recall per kind of alteration; each kind only
applies where the record has what it alters (no author swap for a single-author record).
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Sequence
from random import Random
from typing import Any

import pandas as pd

from screening.dedup.normalise import split_subtitle

Record = dict[str, Any]

_SUBTITLES = (
    "a systematic review", "a randomized controlled trial", "results from a cohort study",
    "a pilot study", "a multicentre study", "an observational study", "a meta-analysis",
)
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def _text(record: Record, key: str) -> str:
    value = record.get(key)
    return "" if value is None or pd.isna(value) else str(value)


def _case(record: Record, rng: Random) -> Record | None:
    title = record["title"]
    for change in rng.sample([str.upper, str.lower, str.title], 3):
        if change(title) != title:
            return {**record, "title": change(title)}
    return None


def _punctuation(record: Record, rng: Random) -> Record | None:
    title = record["title"].translate(_PUNCTUATION)
    title = " ".join(title.split()) + rng.choice([".", "", " ."])
    return {**record, "title": title} if title != record["title"] else None


def _html(record: Record, _rng: Random) -> Record | None:
    """Entity-encode as a web export does: &amp; &lt; &#39; and numeric references for non-ASCII."""
    title = html.escape(record["title"], quote=True)
    title = "".join(ch if ord(ch) < 128 else f"&#{ord(ch)};" for ch in title)
    if title == record["title"]:
        title = title.replace(" ", "&nbsp;", 1)
    return {**record, "title": title} if title != record["title"] else None


def _missing_doi(record: Record, _rng: Random) -> Record | None:
    """The copy comes from a database without DOIs or PMIDs, so only fuzzy rules can find it."""
    if not (_text(record, "doi") or _text(record, "pmid")):
        return None
    return {**record, "doi": None, "pmid": None}


def _truncated_subtitle(record: Record, _rng: Random) -> Record | None:
    main, rest = split_subtitle(record["title"])
    return {**record, "title": main} if rest is not None else None


def _added_subtitle(record: Record, rng: Random) -> Record | None:
    if split_subtitle(record["title"])[1] is not None:
        return None
    return {**record, "title": f"{record['title'].rstrip('.')}: {rng.choice(_SUBTITLES)}"}


def _author_order(record: Record, _rng: Random) -> Record | None:
    """First author moved to the end (some databases list the corresponding author first)."""
    authors = [name for name in _text(record, "authors").split("; ") if name]
    if len(authors) < 2:
        return None
    return {**record, "authors": "; ".join(authors[1:] + authors[:1])}


def _year(record: Record, rng: Random) -> Record | None:
    """Online-first vs print year."""
    year = record.get("year")
    if year is None or pd.isna(year):
        return None
    return {**record, "year": int(year) + rng.choice([-1, 1])}


PERTURBATIONS: dict[str, Callable[[Record, Random], Record | None]] = {
    "case": _case,
    "punctuation": _punctuation,
    "html_entities": _html,
    "missing_doi": _missing_doi,
    "truncated_subtitle": _truncated_subtitle,
    "added_subtitle": _added_subtitle,
    "author_order": _author_order,
    "year": _year,
}


def perturb(record: Record, kinds: Sequence[str], rng: Random) -> Record | None:
    """A copy of `record` with every alteration in `kinds` applied; None if one of them does not apply."""
    copy: Record | None = dict(record)
    for kind in kinds:
        if kind not in PERTURBATIONS:
            raise ValueError(f"unknown perturbation '{kind}' (known: {', '.join(PERTURBATIONS)})")
        copy = PERTURBATIONS[kind](copy, rng)
        if copy is None:
            return None
    return copy
