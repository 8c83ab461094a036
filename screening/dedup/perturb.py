"""Synthetic duplicates: copies of real records altered the way a second database export alters them.

Used by the dedup tests and benchmarks to measure recall per kind of alteration; each kind only
applies where the record has what it alters (no author swap for a single-author record). NOTICES
makes the opposite: records that repeat a work's title but are another record (erratum, comment,
reply), which dedup must keep apart.
"""

from __future__ import annotations

import html
import re
import string
import unicodedata
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
_LANGUAGES = ("German", "French", "Spanish", "Italian", "Russian", "Polish", "Japanese", "Chinese")
# Greek letters as publishers print them and as PubMed spells them out.
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu", "ω": "omega"}
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_TYPOGRAPHY = {"'": "\u2019", " - ": " \u2013 ", "-": "\u2010", '"': "\u201c", "fi": "\ufb01"}
_NOTICE_TEMPLATES = (
    "Erratum: {title}", "Correction to: {title}", 'Corrigendum to "{title}"', "Comment on: {title}",
    "Reply to: {title}", "Response to the letter on {title}", "Retraction note: {title}",
    "Expression of concern: {title}", "{title} [Erratum]", "Re: {title}",
)


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


def _truncated_title(record: Record, rng: Random) -> Record | None:
    """A database field limit cut the title to 30-59 characters (often mid-word, sometimes with '...').

    Only for records with authors: the copy keeps the same author list, which is what identifies it.
    """
    title = record["title"].strip()
    cut = rng.randint(30, 59)
    if not _text(record, "authors") or len(title) < cut + 10:
        return None
    return {**record, "title": title[:cut].rstrip() + rng.choice(["", "...", " ..."])}


def _appended_subtitle(record: Record, rng: Random) -> Record | None:
    """A second subtitle appended to a title that already has one ('X: Y' -> 'X: Y: a pilot study')."""
    title = record["title"].strip().rstrip(".")
    if split_subtitle(title)[1] is None:
        return None
    return {**record, "title": f"{title}{rng.choice([': ', ' - ', '. '])}{rng.choice(_SUBTITLES)}"}


def _no_year(record: Record, _rng: Random) -> Record | None:
    """Neither record has a year: applies only to originals without one (combined with other kinds)."""
    year = record.get("year")
    return dict(record) if year is None or pd.isna(year) else None


def _missing_year(record: Record, _rng: Random) -> Record | None:
    """The copy's export has no year while the original has one."""
    year = record.get("year")
    return None if year is None or pd.isna(year) else {**record, "year": None}


def _diacritics(record: Record, rng: Random) -> Record | None:
    """Letters another database spells differently: 'β' / 'beta', 'ü' / 'ue' / 'u' (title and authors)."""
    changed = {}
    for key in ("title", "authors"):
        text = _text(record, key)
        if not text:
            continue
        if text.isascii():  # the publisher's letters where PubMed spelled them out
            new = text
            for letter, name in _GREEK.items():
                new = re.sub(rf"\b{name}-", f"{letter}-", new)
        else:  # and the other way round; 'ü' as 'ue' or 'u'
            new = text
            for letter, name in _GREEK.items():
                new = new.replace(letter, name)
            new = new.translate(_TRANSLITERATION) if rng.random() < 0.5 else new
            new = unicodedata.normalize("NFKD", new).encode("ascii", "ignore").decode("ascii")
        if new != text:
            changed[key] = new
    return {**record, **changed} if changed else None


def _typography(record: Record, rng: Random) -> Record | None:
    """Typographic quotes, dashes and ligatures, decomposed (NFD) accents, a non-breaking space."""
    title = unicodedata.normalize("NFD", record["title"])
    for plain, fancy in rng.sample(list(_TYPOGRAPHY.items()), 3):
        title = title.replace(plain, fancy)
    title = title.replace(" ", "\u00a0", 1)
    return {**record, "title": title} if title != record["title"] else None


def _markup(record: Record, rng: Random) -> Record | None:
    """Inline HTML a publisher's feed keeps: <i>species</i>, <sup>1</sup>H, a <p> wrapper."""
    words = record["title"].split()
    if len(words) < 3:
        return None
    index, tag = rng.randrange(len(words)), rng.choice(["i", "b", "sup", "sub"])
    words[index] = f"<{tag}>{words[index]}</{tag}>"
    title = " ".join(words)
    return {**record, "title": f"<p>{title}</p>" if rng.random() < 0.3 else title}


def _doi_form(record: Record, rng: Random) -> Record | None:
    """The same DOI written as a URL, with a 'doi:' prefix, in upper case or URL-encoded."""
    doi = _text(record, "doi")
    if not doi:
        return None
    form = rng.choice(["https://doi.org/{}", "http://dx.doi.org/{}", "doi:{}", "DOI: {}", "{}."])
    value = form.format(doi.upper() if rng.random() < 0.5 else doi.replace("/", "%2F", 1))
    return {**record, "doi": value}


def _language_note(record: Record, rng: Random) -> Record | None:
    """MEDLINE's marks on a translated title: brackets, '[Article in German]', '(author's transl)'."""
    title = record["title"].strip().rstrip(".")
    if title.startswith("["):
        return {**record, "title": title.strip("[]")}  # the other database prints it without
    note = rng.choice([f"[{title}]", f"{title} [Article in {rng.choice(_LANGUAGES)}]",
                       f"[{title} (author's transl)]"])
    return {**record, "title": note}


def _author_format(record: Record, rng: Random) -> Record | None:
    """Authors as another database writes them: 'Smith JA', 'J. A. Smith', 'SMITH, J.', or cut to 'et al.'."""
    authors = [name for name in _text(record, "authors").split("; ") if name]
    if not authors:
        return None
    style = rng.choice(["medline", "initials_first", "upper", "et_al"])
    if style == "et_al":
        if len(authors) < 4:
            return None
        return {**record, "authors": "; ".join(authors[: rng.randint(1, 3)]) + "; et al."}
    formatted = []
    for name in authors:
        surname, given = _surname_and_initials(name)
        formatted.append({"medline": f"{surname} {given.replace('.', '').replace(' ', '')}".strip(),
                          "initials_first": f"{given} {surname}".strip(),
                          "upper": f"{surname.upper()}, {given}".strip(", ")}[style])
    new = "; ".join(formatted)
    return {**record, "authors": new} if new != record["authors"] else None


def _surname_and_initials(name: str) -> tuple[str, str]:
    """('Smith', 'J. A.') from 'Smith, John A.', 'John A. Smith' or 'J A Smith'."""
    if "," in name:
        surname, given = (part.strip() for part in name.split(",", 1))
    else:  # 'D de Zeigler': the lower-case particle belongs to the surname
        parts = name.split()
        start = next((k for k, part in enumerate(parts[:-1]) if part[0].islower()), len(parts) - 1)
        surname, given = " ".join(parts[start:]), " ".join(parts[:start])
    initials = " ".join(f"{part[0]}." for part in given.replace(".", " ").split() if part)
    return surname, initials


PERTURBATIONS: dict[str, Callable[[Record, Random], Record | None]] = {
    "case": _case,
    "punctuation": _punctuation,
    "html_entities": _html,
    "markup": _markup,
    "typography": _typography,
    "diacritics": _diacritics,
    "language_note": _language_note,
    "missing_doi": _missing_doi,
    "doi_form": _doi_form,
    "truncated_subtitle": _truncated_subtitle,
    "added_subtitle": _added_subtitle,
    "appended_subtitle": _appended_subtitle,
    "truncated_title": _truncated_title,
    "author_order": _author_order,
    "author_format": _author_format,
    "year": _year,
    "missing_year": _missing_year,
    "no_year": _no_year,
}


_HEADINGS = re.compile(r"\b(BACKGROUND|OBJECTIVES?|AIMS?|METHODS?|RESULTS?|CONCLUSIONS?|PURPOSE|INTRODUCTION)\s*:\s*")
_COPYRIGHT_LINES = ("© 2019 Elsevier Ltd. All rights reserved.", "Copyright © 2020 John Wiley & Sons, Ltd.",
                    "(c) 2018 The Authors.", "© The Author(s) 2021. Published by Oxford University Press.")


def export_abstract(abstract: str | None, rng: Random, other: str | None = None) -> str | None:
    """The abstract as a second database exports it: mostly the same text, but often missing, cut
    short, with or without section headings, copyright line or JATS markup, now and then another text
    altogether (`other`: a translation or a wrongly attached abstract)."""
    if not abstract:
        return abstract
    draw = rng.random()
    if draw < 0.45:
        return abstract
    if draw < 0.60:
        return None
    if draw < 0.70:
        words = abstract.split()
        return " ".join(words[: max(10, int(len(words) * rng.uniform(0.3, 0.8)))])
    if draw < 0.80:
        return f"{abstract} {rng.choice(_COPYRIGHT_LINES)}"
    if draw < 0.90:
        if _HEADINGS.search(abstract):
            return _HEADINGS.sub(lambda m: "" if rng.random() < 0.5 else f"{m.group(1).title()} ", abstract)
        return f"Abstract {abstract}"
    if draw < 0.97:
        return f"<jats:p>{abstract}</jats:p>" if rng.random() < 0.5 else f"<p>{html.escape(abstract)}</p>"
    return other


def notice(record: Record, rng: Random) -> Record:
    """A record that is NOT the work: an erratum, comment, reply or retraction repeating its title."""
    template = rng.choice(_NOTICE_TEMPLATES)
    year = record.get("year")
    return {**record, "title": template.format(title=record["title"].strip().rstrip(".")),
            "abstract": None, "doi": None, "pmid": None,
            "authors": record.get("authors") if template.startswith(("Erratum", "Corr", "Retr", "Expr")) else None,
            "year": year if year is None or pd.isna(year) else int(year) + rng.choice([0, 0, 1])}


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
