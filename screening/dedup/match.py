"""Find groups of duplicate records: exact DOI / PMID, then fuzzy title + year + authors.

Pure algorithm (a DataFrame in, groups of ids out) so it can be benchmarked without a database.
Candidate pairs come from blocking on the first and last characters of the title, so 50,000
records need thousands of small rapidfuzz comparisons instead of 1.25 billion. Titles are compared
without spaces, so 'IL-8'/'IL8' and "Wilson's"/'Wilsons' agree. Merges are applied strongest first
through a constrained union: a fuzzy merge never joins groups carrying different DOIs or PMIDs, or
holding two records that are plainly different works, and nothing joins records a lead split apart;
so one truncated title ('Clinical practice guideline') cannot chain distinct works together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from screening.dedup.normalise import (
    author_surnames,
    content_words,
    main_title,
    normalise_title,
    notice_kind,
    number_tokens,
)

REQUIRED_COLUMNS = ("id", "title", "year", "authors", "doi", "pmid")
BLOCK_CHARS = 16  # leading / trailing title characters (spaces removed) in a blocking key
CANDIDATE_CUTOFF = 85  # title similarity below which a pair is never looked at
SAME_AUTHOR_THRESHOLD = 92  # whole titles, same first author
NO_AUTHOR_THRESHOLD = 94  # whole titles, authors missing on one side
REORDERED_AUTHOR_THRESHOLD = 96  # whole titles, first authors differ but the author lists overlap
SUBTITLE_THRESHOLD = 95  # main title of one vs the whole subtitle-less title of the other
MIN_SUBTITLE_MAIN_CHARS = 25  # a main title shorter than this ('Introduction') proves nothing
MIN_FUZZY_CHARS = 20  # shorter titles must match exactly, with author and year
MAX_YEAR_GAP = 1  # online-first vs print year
COMPATIBLE_TITLE = 85  # members of one group must have at least this whole-title similarity...
COMPATIBLE_MAIN = 95  # ...or this main-title similarity with one of them subtitle-less
MIN_TRUNCATED_CHARS = 60  # databases cut long titles; a short title that is a prefix is another work
SPELLING_VARIANT = 80  # word similarity for 'modelling'/'modeling', 'presymptomatic'/'asymptomatic'


@dataclass
class _Keys:
    """Per-record comparison keys, positionally aligned with the input rows."""

    ids: np.ndarray
    titles: list[str]  # normalised, spaces removed
    mains: list[str]  # main title (before the subtitle), normalised, spaces removed
    has_subtitle: list[bool]
    notices: list[frozenset[str]]
    numbers: list[frozenset[str]]
    words: list[frozenset[str]]  # content words of the whole title
    main_numbers: list[frozenset[str]]
    years: np.ndarray  # -1 = unknown
    authors: list[list[str]]  # surname keys in order
    dois: list[str]
    pmids: list[str]
    ambiguous_mains: set[str]  # main titles shared by works with different subtitles


def find_duplicate_groups(records: pd.DataFrame,
                          do_not_merge: Iterable[tuple[int, int]] = ()) -> list[list[int]]:
    """Groups (sorted id lists, two or more ids each) of records describing the same work.

    `do_not_merge` holds id pairs a lead declared distinct; no group ever contains both ids of a pair.
    """
    keys = _keys(records)
    position = {int(record_id): index for index, record_id in enumerate(keys.ids)}
    forbidden: dict[int, set[int]] = defaultdict(set)
    for a, b in do_not_merge:
        if a in position and b in position:
            forbidden[position[a]].add(position[b])
            forbidden[position[b]].add(position[a])
    union = _ConstrainedUnion(keys, forbidden, lambda i, j: _compatible(keys, i, j))
    for values in (keys.dois, keys.pmids):
        for members in _same_value(values):
            for other in members[1:]:
                union.merge(members[0], other, fuzzy=False)
    for _score, i, j in sorted(_fuzzy_matches(keys), reverse=True):
        union.merge(i, j, fuzzy=True)
    return union.groups()


def _keys(records: pd.DataFrame) -> _Keys:
    missing = [column for column in REQUIRED_COLUMNS if column not in records.columns]
    if missing:
        raise ValueError(f"records are missing column(s): {', '.join(missing)}")
    if records["id"].duplicated().any():
        raise ValueError("records: column 'id' has repeated values")

    def text(column: str) -> list[str]:
        return ["" if pd.isna(value) else str(value).strip() for value in records[column]]

    raw_titles = text("title")
    spaced_titles = [normalise_title(title) for title in raw_titles]
    spaced_mains = [main_title(title) for title in raw_titles]
    titles = [title.replace(" ", "") for title in spaced_titles]
    mains = [main.replace(" ", "") for main in spaced_mains]
    has_subtitle = [main != title for main, title in zip(mains, titles, strict=True)]
    subtitled_by_main: dict[str, set[str]] = defaultdict(set)
    for main, title, subtitled in zip(mains, titles, has_subtitle, strict=True):
        if subtitled:
            subtitled_by_main[main].add(title)
    return _Keys(
        ids=records["id"].astype(int).to_numpy(),
        titles=titles,
        mains=mains,
        has_subtitle=has_subtitle,
        notices=[notice_kind(title) for title in spaced_titles],
        numbers=[number_tokens(title) for title in spaced_titles],
        words=[content_words(title) for title in spaced_titles],
        main_numbers=[number_tokens(main) for main in spaced_mains],
        years=pd.to_numeric(records["year"], errors="coerce").fillna(-1).astype(int).to_numpy(),
        authors=[author_surnames(authors) for authors in text("authors")],
        dois=[doi.lower() for doi in text("doi")],
        pmids=text("pmid"),
        ambiguous_mains={main for main, titles in subtitled_by_main.items() if len(titles) > 1},
    )


def _same_value(values: list[str]) -> list[list[int]]:
    """Positions sharing one non-empty value (exact DOI or PMID)."""
    by_value: dict[str, list[int]] = defaultdict(list)
    for index, value in enumerate(values):
        if value:
            by_value[value].append(index)
    return [members for members in by_value.values() if len(members) > 1]


def _blocks(keys: _Keys) -> Iterable[list[int]]:
    """Records sharing their first or last title characters (a changed subtitle keeps the first ones)."""
    by_key: dict[tuple[bool, str], list[int]] = defaultdict(list)
    for index, title in enumerate(keys.titles):
        if title:
            by_key[(True, title[:BLOCK_CHARS])].append(index)
            by_key[(False, title[-BLOCK_CHARS:])].append(index)
    return (members for members in by_key.values() if len(members) > 1)


def _candidate_pairs(keys: _Keys) -> dict[tuple[int, int], tuple[float, float]]:
    """(i, j) -> (whole-title similarity, main-title similarity) for pairs above the candidate cutoff."""
    pairs: dict[tuple[int, int], tuple[float, float]] = {}
    for members in _blocks(keys):
        titles = [keys.titles[i] for i in members]
        mains = [keys.mains[i] for i in members]
        full = process.cdist(titles, titles, scorer=fuzz.ratio, score_cutoff=CANDIDATE_CUTOFF, dtype=np.uint8)
        main = process.cdist(mains, mains, scorer=fuzz.ratio, score_cutoff=CANDIDATE_CUTOFF, dtype=np.uint8)
        rows, cols = np.nonzero(np.triu(np.maximum(full, main), k=1))
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            i, j = members[row], members[col]
            pair = (i, j) if i < j else (j, i)
            if pair not in pairs:
                pairs[pair] = (float(full[row, col]), float(main[row, col]))
    return pairs


def _fuzzy_matches(keys: _Keys) -> list[tuple[float, int, int]]:
    """(score, i, j) for every candidate pair the title/year/author rules accept."""
    matches = []
    for (i, j), (full_score, main_score) in _candidate_pairs(keys).items():
        score = _match_score(keys, i, j, full_score, main_score)
        if score is not None:
            matches.append((score, i, j))
    return matches


def _years(keys: _Keys, i: int, j: int) -> tuple[bool, bool]:
    """(both years known, years compatible: unknown or at most MAX_YEAR_GAP apart)."""
    year_i, year_j = int(keys.years[i]), int(keys.years[j])
    known = year_i >= 0 and year_j >= 0
    return known, not known or abs(year_i - year_j) <= MAX_YEAR_GAP


def _author_agreement(keys: _Keys, i: int, j: int) -> str:
    """'same' first author, 'reordered' (lists overlap), 'different', or 'unknown' (one list empty)."""
    authors_i, authors_j = keys.authors[i], keys.authors[j]
    if not authors_i or not authors_j:
        return "unknown"
    if authors_i[0] == authors_j[0]:
        return "same"
    return "reordered" if set(authors_i) & set(authors_j) else "different"


def _match_score(keys: _Keys, i: int, j: int, full_score: float, main_score: float) -> float | None:
    """The evidence for i and j being one work, or None when the rules say they are not."""
    if keys.dois[i] and keys.dois[j] and keys.dois[i] != keys.dois[j]:
        return None  # two registered works; a similar title is no reason to overrule the DOIs
    if keys.pmids[i] and keys.pmids[j] and keys.pmids[i] != keys.pmids[j]:
        return None
    years_known, years_ok = _years(keys, i, j)
    if not years_ok or keys.notices[i] != keys.notices[j]:
        return None  # erratum / comment / reply vs the work it refers to
    authors = _author_agreement(keys, i, j)
    title_i, title_j = keys.titles[i], keys.titles[j]
    same_year = years_known and keys.years[i] == keys.years[j]

    if authors == "different" or min(len(title_i), len(title_j)) < MIN_FUZZY_CHARS:
        # Same title by other authors, or a short generic title: only an exact, dated match counts.
        exact = title_i == title_j and same_year and authors != "unknown"
        return 100.0 if exact else None

    threshold = {"same": SAME_AUTHOR_THRESHOLD, "reordered": REORDERED_AUTHOR_THRESHOLD,
                 "unknown": NO_AUTHOR_THRESHOLD}[authors]
    if (full_score >= threshold and keys.numbers[i] == keys.numbers[j]
            and (title_i == title_j or not _word_swapped(keys, i, j))):
        return full_score

    # A subtitle dropped or added: the main title of one is the whole title of the other.
    main_i, main_j = keys.mains[i], keys.mains[j]
    one_without_subtitle = not keys.has_subtitle[i] or not keys.has_subtitle[j]
    if (one_without_subtitle and main_score >= SUBTITLE_THRESHOLD
            and min(len(main_i), len(main_j)) >= MIN_SUBTITLE_MAIN_CHARS
            and main_i not in keys.ambiguous_mains and main_j not in keys.ambiguous_mains
            and keys.main_numbers[i] == keys.main_numbers[j]
            and (authors != "unknown" or not years_known or same_year)):
        return main_score - 2  # weaker evidence than a whole-title match: merged later
    return None


def _word_swapped(keys: _Keys, i: int, j: int) -> bool:
    """Whether one title has a content word the other lacks ('count' vs 'binary outcome data', 'on the
    fly'), beyond spelling variants, glued words ('long-term'/'longterm') and a cut-off end."""
    title_i, title_j = keys.titles[i], keys.titles[j]
    shorter, longer = sorted((title_i, title_j), key=len)
    if len(shorter) >= MIN_TRUNCATED_CHARS and longer.startswith(shorter):
        return False  # one export cut a long title short
    extra_i, extra_j = keys.words[i] - keys.words[j], keys.words[j] - keys.words[i]

    def unmatched(word: str, others: frozenset[str], other_title: str) -> bool:
        return word not in other_title and not any(fuzz.ratio(word, o) >= SPELLING_VARIANT for o in others)

    return (any(unmatched(word, extra_j, title_j) for word in extra_i)
            or any(unmatched(word, extra_i, title_i) for word in extra_j))


def _compatible(keys: _Keys, i: int, j: int) -> bool:
    """Whether i and j may end up in one group (weaker than a match: checked for every member pair)."""
    if not _years(keys, i, j)[1] or keys.notices[i] != keys.notices[j]:
        return False
    if not keys.titles[i] or not keys.titles[j]:
        return True  # a record without title (grouped by DOI/PMID) is no evidence against
    if fuzz.ratio(keys.titles[i], keys.titles[j]) >= COMPATIBLE_TITLE:
        return True
    one_without_subtitle = not keys.has_subtitle[i] or not keys.has_subtitle[j]
    return one_without_subtitle and fuzz.ratio(keys.mains[i], keys.mains[j]) >= COMPATIBLE_MAIN


class _ConstrainedUnion:
    """Union-find refusing merges that join distinct DOIs/PMIDs or incompatible records (fuzzy merges),
    or a do-not-merge pair (any merge)."""

    def __init__(self, keys: _Keys, forbidden: dict[int, set[int]],
                 compatible: Callable[[int, int], bool]) -> None:
        n = len(keys.ids)
        self._ids = keys.ids
        self._parent = list(range(n))
        self._members: dict[int, list[int]] = {}
        self._dois: dict[int, set[str]] = {i: {keys.dois[i]} for i in range(n) if keys.dois[i]}
        self._pmids: dict[int, set[str]] = {i: {keys.pmids[i]} for i in range(n) if keys.pmids[i]}
        self._forbidden = forbidden
        self._compatible = compatible

    def find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def merge(self, i: int, j: int, fuzzy: bool) -> bool:
        root_i, root_j = self.find(i), self.find(j)
        if root_i == root_j:
            return True
        members_i = self._members.get(root_i, [root_i])
        members_j = self._members.get(root_j, [root_j])
        if fuzzy and (self._conflict(self._dois, root_i, root_j) or self._conflict(self._pmids, root_i, root_j)
                      or not all(self._compatible(a, b) for a in members_i for b in members_j)):
            return False
        if len(members_i) < len(members_j):
            root_i, root_j, members_i, members_j = root_j, root_i, members_j, members_i
        if any(self.find(other) == root_i for member in members_j for other in self._forbidden.get(member, ())):
            return False
        self._parent[root_j] = root_i
        self._members[root_i] = members_i + members_j
        self._members.pop(root_j, None)
        for values in (self._dois, self._pmids):
            if root_j in values:
                values.setdefault(root_i, set()).update(values.pop(root_j))
        return True

    @staticmethod
    def _conflict(values: dict[int, set[str]], root_i: int, root_j: int) -> bool:
        return root_i in values and root_j in values and values[root_i] != values[root_j]

    def groups(self) -> list[list[int]]:
        return sorted(sorted(int(self._ids[m]) for m in members) for members in self._members.values())
