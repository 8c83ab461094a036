"""Find groups of duplicate records: exact DOI / PMID, then fuzzy title + year + authors (+ abstract).

Pure algorithm (a DataFrame in, groups of ids out) so it can be benchmarked without a database.
Candidate pairs come from blocking on the first and last characters of the title, plus titles that
are another title's start (a cut-off export) or its text before a subtitle (a dropped or added
subtitle), so 50,000 records need thousands of small rapidfuzz comparisons instead of 1.25 billion.
Titles are compared without spaces, so 'IL-8'/'IL8' and "Wilson's"/'Wilsons' agree.

Evidence is weighed by how much a title alone proves: a whole title says most; a title that is only
the start of another (or its part before a subtitle) needs the same author list, or agreeing
abstracts, or a long and unambiguous text. Abstracts, where both records have one, confirm a weak
title match or veto a title coincidence. Merges are applied strongest first through a constrained
union: a fuzzy merge never joins groups carrying different DOIs or PMIDs, or holding two records
that are plainly different works, and nothing joins records a lead split apart; so one truncated
title ('Clinical practice guideline') cannot chain distinct works together.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from screening.dedup.normalise import (
    ROMAN_NUMERALS,
    abstract_shingles,
    author_surnames,
    content_words,
    doi_key,
    notice_kind,
    number_tokens,
    title_keys,
)

REQUIRED_COLUMNS = ("id", "title", "year", "authors", "doi", "pmid")  # 'abstract' is used when present
BLOCK_CHARS = 16  # leading / trailing title characters (spaces removed) in a blocking key
CANDIDATE_CUTOFF = 85  # title similarity below which a pair is never looked at
SAME_AUTHOR_THRESHOLD = 92  # whole titles, same first author
NO_AUTHOR_THRESHOLD = 94  # whole titles, authors missing on one side
REORDERED_AUTHOR_THRESHOLD = 96  # whole titles, first authors differ but the author lists overlap
SUBTITLE_THRESHOLD = 95  # main title of one vs the whole subtitle-less title of the other
MIN_SUBTITLE_MAIN_CHARS = 25  # a main title shorter than this ('Introduction') proves nothing by itself
MIN_FUZZY_CHARS = 20  # shorter titles must match exactly, with author and year (or abstract)
MIN_PREFIX_CHARS = 20  # a cut-off title must keep at least this much to be matched at all
MIN_AGREEING_HEAD_CHARS = 4  # with agreeing abstracts a dropped subtitle may leave a short title ("STOP")
MAX_PREFIX_SCAN = 50  # longer titles looked at per title that could be their cut-off start
MAX_YEAR_GAP = 1  # online-first vs print year
COMPATIBLE_TITLE = 85  # members of one group must have at least this whole-title similarity...
COMPATIBLE_MAIN = 95  # ...or this main-title similarity with one of them subtitle-less
MIN_TRUNCATED_CHARS = 60  # databases cut long titles; a shorter prefix alone is another work
SPELLING_VARIANT = 80  # word similarity for 'modelling'/'modeling', 'presymptomatic'/'asymptomatic'
SURNAME_VARIANT = 85  # 'Mueller'/'Muller', 'Lignieres'/'Lignières' folded
MIN_SHINGLES = 12  # abstracts shorter than this many word runs ('No abstract available') say nothing
ABSTRACT_AGREE = 0.5  # share of the shorter abstract's word runs found in the other: one text
ABSTRACT_DIFFER = 0.1  # ...at most this share: two different texts


@dataclass
class _Keys:
    """Per-record comparison keys, positionally aligned with the input rows."""

    ids: np.ndarray
    titles: list[str]  # normalised, spaces removed
    tokens: list[list[str]]  # the normalised title's words
    mains: list[str]  # main title (before the subtitle), normalised, spaces removed
    heads: list[list[str]]  # the text before every subtitle separator, normalised, spaces removed
    has_subtitle: list[bool]
    notices: list[frozenset[str]]
    numbers: list[frozenset[str]]
    words: list[frozenset[str]]  # content words of the whole title
    main_numbers: list[frozenset[str]]
    years: np.ndarray  # -1 = unknown
    authors: list[list[str]]  # surname keys in order
    dois: list[str]
    pmids: list[str]
    ambiguous_heads: set[str]  # heads shared by works with different continuations
    users: dict[str, list[int]]  # records with this title, or with it before a subtitle
    abstracts: list[str | None]
    _shingles: dict[int, frozenset[tuple[str, str, str]]] = field(default_factory=dict)
    _contested: dict[str, bool] = field(default_factory=dict)

    def shingles(self, index: int) -> frozenset[tuple[str, str, str]]:
        """The abstract's fingerprint, computed for the few records that are ever compared."""
        if index not in self._shingles:
            self._shingles[index] = abstract_shingles(self.abstracts[index])
        return self._shingles[index]


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

    spaced_titles, spaced_mains, all_heads = zip(*map(title_keys, text("title")), strict=True)
    titles = [title.replace(" ", "") for title in spaced_titles]
    mains = [main.replace(" ", "") for main in spaced_mains]
    heads = [[head for head in title_heads if head != title] for title_heads, title in zip(
        all_heads, titles, strict=True)]
    continuations: dict[str, set[str]] = defaultdict(set)
    for title, record_heads in zip(titles, heads, strict=True):
        for head in record_heads:
            continuations[head].add(title)
    for main, title in zip(mains, titles, strict=True):
        if main != title:
            continuations[main].add(title)
    abstracts = text("abstract") if "abstract" in records.columns else [""] * len(records)
    title_numbers = [number_tokens(title) for title in spaced_titles]
    users: dict[str, list[int]] = defaultdict(list)
    for index, (title, record_heads) in enumerate(zip(titles, heads, strict=True)):
        for key in {title, *record_heads} - {""}:
            users[key].append(index)
    return _Keys(
        ids=records["id"].astype(int).to_numpy(),
        titles=titles,
        tokens=[title.split() for title in spaced_titles],
        mains=mains,
        heads=heads,
        has_subtitle=[main != title for main, title in zip(mains, titles, strict=True)],
        notices=[notice_kind(title) for title in spaced_titles],
        numbers=title_numbers,
        words=[content_words(title) for title in spaced_titles],
        main_numbers=[number_tokens(main) if main != title else numbers
                      for main, title, numbers in zip(spaced_mains, spaced_titles, title_numbers, strict=True)],
        years=pd.to_numeric(records["year"], errors="coerce").fillna(-1).astype(int).to_numpy(),
        authors=[author_surnames(authors) for authors in text("authors")],
        dois=[doi_key(doi) for doi in text("doi")],
        pmids=text("pmid"),
        ambiguous_heads={head for head, longer in continuations.items() if len(longer) > 1},
        users=users,
        abstracts=[abstract or None for abstract in abstracts],
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


def _contained_pairs(keys: _Keys) -> Iterable[tuple[int, int]]:
    """(i, j) where j's whole title is i's text before a subtitle, or the start of i's title.

    Their similarity ratio can be low ('Wilson disease' vs 'Wilson disease: a review of 40 cases'), so
    the blocks above do not find them.
    """
    by_title: dict[str, list[int]] = defaultdict(list)
    for index, title in enumerate(keys.titles):
        if title:
            by_title[title].append(index)
    for i, heads in enumerate(keys.heads):
        for head in heads:
            for j in by_title.get(head, ()):
                yield i, j
    order = sorted((index for index, title in enumerate(keys.titles) if title), key=keys.titles.__getitem__)
    ordered = [keys.titles[index] for index in order]
    for rank, j in enumerate(order):
        start = ordered[rank]
        if len(start) < MIN_PREFIX_CHARS:
            continue
        end = bisect.bisect_left(ordered, start + "\x7f", lo=rank + 1)  # titles that begin with `start`
        for other in range(rank + 1, min(end, rank + 1 + MAX_PREFIX_SCAN)):
            if ordered[other] != start:
                yield order[other], j


def _candidate_pairs(keys: _Keys) -> dict[tuple[int, int], tuple[float, float]]:
    """(i, j) -> (whole-title similarity, main-title similarity) for the pairs worth looking at."""
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
    for i, j in _contained_pairs(keys):
        pair = (i, j) if i < j else (j, i)
        if pair not in pairs and i != j:
            pairs[pair] = (fuzz.ratio(keys.titles[i], keys.titles[j]), fuzz.ratio(keys.mains[i], keys.mains[j]))
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


def _same_surname(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= SURNAME_VARIANT)


def _author_agreement(keys: _Keys, i: int, j: int) -> str:
    """'same' first author, 'reordered' (lists overlap), 'different', or 'unknown' (one list empty)."""
    authors_i, authors_j = keys.authors[i], keys.authors[j]
    if not authors_i or not authors_j:
        return "unknown"
    if _same_surname(authors_i[0], authors_j[0]):
        return "same"
    return "reordered" if set(authors_i) & set(authors_j) else "different"


def _same_author_list(keys: _Keys, i: int, j: int) -> bool:
    """The same surnames in the same order; one list may stop early ('Smith; Jones; et al.')."""
    authors_i, authors_j = keys.authors[i], keys.authors[j]
    n = min(len(authors_i), len(authors_j))
    return n > 0 and all(_same_surname(a, b) for a, b in zip(authors_i[:n], authors_j[:n], strict=True))


def _abstract_agreement(keys: _Keys, i: int, j: int) -> str:
    """'agree' (one text, however cut or decorated), 'differ' (two texts) or 'unknown' (one missing)."""
    shingles_i, shingles_j = keys.shingles(i), keys.shingles(j)
    smaller = min(len(shingles_i), len(shingles_j))
    if smaller < MIN_SHINGLES:
        return "unknown"
    shared = len(shingles_i & shingles_j) / smaller
    return "agree" if shared >= ABSTRACT_AGREE else "differ" if shared <= ABSTRACT_DIFFER else "unknown"


def _contested(keys: _Keys, title: str) -> bool:
    """Whether records that share this title (or start with it) include two with different abstracts:
    then the title names several works, and a record without authors cannot say which one it is."""
    if title not in keys._contested:
        members = [k for k in keys.users.get(title, ()) if len(keys.shingles(k)) >= MIN_SHINGLES]
        keys._contested[title] = len(members) > 1 and any(
            _abstract_agreement(keys, a, b) == "differ" for n, a in enumerate(members) for b in members[n + 1:])
    return keys._contested[title]


def _abstracts_conflict(keys: _Keys, i: int, j: int, abstracts: str, authors: str) -> bool:
    """Two different abstracts: two works that share a title or its start (supplement 'Abstracts',
    'Sample size in factor analysis' 1999 and 2001), unless title and authors are exactly the same
    (an abstract rewritten between conference and journal, or attached to the wrong record)."""
    return abstracts == "differ" and not (keys.titles[i] == keys.titles[j] and authors in ("same", "reordered"))


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
    abstracts = _abstract_agreement(keys, i, j)
    if _abstracts_conflict(keys, i, j, abstracts, authors):
        return None
    title_i, title_j = keys.titles[i], keys.titles[j]
    same_year = years_known and keys.years[i] == keys.years[j]

    if authors == "different" or min(len(title_i), len(title_j)) < MIN_FUZZY_CHARS:
        exact = _exact_match(keys, i, j, authors, abstracts, years_known, same_year)
        if exact is not None or authors == "different" or abstracts != "agree":
            return exact
        return _part_match(keys, i, j, 0.0, authors, abstracts, years_known, same_year)

    threshold = {"same": SAME_AUTHOR_THRESHOLD, "reordered": REORDERED_AUTHOR_THRESHOLD,
                 "unknown": NO_AUTHOR_THRESHOLD}[authors]
    contested = authors == "unknown" and abstracts != "agree" and (
        _contested(keys, title_i) or _contested(keys, title_j))
    if (full_score >= threshold and keys.numbers[i] == keys.numbers[j] and not contested
            and (title_i == title_j or not _word_swapped(keys, i, j))):
        return full_score
    if (abstracts == "agree" and full_score >= CANDIDATE_CUTOFF and keys.numbers[i] == keys.numbers[j]
            and not _word_swapped(keys, i, j)):  # not 'trientine' / 'penicillamine' in one group's two papers
        return full_score - 1  # 'Zinc monotherapy for / in young children with ... Wilson(s) disease'
    return _part_match(keys, i, j, main_score, authors, abstracts, years_known, same_year)


def _exact_match(keys: _Keys, i: int, j: int, authors: str, abstracts: str, years_known: bool,
                 same_year: bool) -> float | None:
    """Same title by other authors, or a short generic title: only an exact, corroborated match counts."""
    if keys.titles[i] != keys.titles[j]:
        return None
    if abstracts == "agree":
        return 100.0
    if authors == "different":  # a comment or reply titled like the article, unless the abstract says so
        return None
    if authors == "unknown":
        return None
    if same_year or (not years_known and len(keys.authors[i]) > 1 and _same_author_list(keys, i, j)):
        return 100.0
    return None


def _part_match(keys: _Keys, i: int, j: int, main_score: float, authors: str, abstracts: str,
                years_known: bool, same_year: bool) -> float | None:
    """One title is the other's start: a subtitle dropped, added or appended, or a cut-off export."""
    short, long_ = sorted((i, j), key=lambda k: (len(keys.titles[k]), k))
    shorter, longer = keys.titles[short], keys.titles[long_]
    corroborated = abstracts == "agree"
    dated = authors != "unknown" or not years_known or same_year

    exact_head = shorter in keys.heads[long_]
    if exact_head or (
            (not keys.has_subtitle[i] or not keys.has_subtitle[j]) and main_score >= SUBTITLE_THRESHOLD
            and keys.main_numbers[i] == keys.main_numbers[j]):
        head = shorter if exact_head else min(keys.mains[i], keys.mains[j], key=len)
        ambiguous = (head in keys.ambiguous_heads if exact_head
                     else keys.mains[i] in keys.ambiguous_heads or keys.mains[j] in keys.ambiguous_heads)
        if corroborated and len(head) >= MIN_AGREEING_HEAD_CHARS:
            return 91.0
        if len(head) >= MIN_SUBTITLE_MAIN_CHARS and not ambiguous and dated:
            return 93.0 if shorter == head else main_score - 2
        if (authors == "same" and same_year and len(head) >= MIN_FUZZY_CHARS
                and _same_author_list(keys, i, j)):
            return 90.0

    cut_off = (len(shorter) >= MIN_PREFIX_CHARS and longer.startswith(shorter)
               and _cut_numbers_agree(keys, short, long_))
    if cut_off and (corroborated or (authors == "same" and _same_author_list(keys, i, j))):
        return 89.0
    return None


def _cut_numbers_agree(keys: _Keys, short: int, long_: int) -> bool:
    """Whether a title cut off from the other keeps its numbers: all but the last word's must be in the
    longer title; the last word may be a cut-off one ('behavior. I...' from 'Introductory', '20' from
    '2019'), but not one roman numeral standing for another ('Part I' vs 'Part II')."""
    *kept, last = keys.tokens[short]
    if not number_tokens(" ".join(kept)) <= keys.numbers[long_]:
        return False
    if not number_tokens(last) or last in keys.tokens[long_]:
        return True
    return any(token.startswith(last) and token not in ROMAN_NUMERALS for token in keys.tokens[long_])


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
    if _abstracts_conflict(keys, i, j, _abstract_agreement(keys, i, j), _author_agreement(keys, i, j)):
        return False
    if keys.titles[i] != keys.titles[j] and _author_agreement(keys, i, j) == "different":
        return False  # a comment titled like the article it comments on, by other authors
    shorter, longer = sorted((keys.titles[i], keys.titles[j]), key=len)
    if longer.startswith(shorter) or shorter in keys.heads[i] or shorter in keys.heads[j]:
        return True  # one is the other's start (numbers after the cut may be missing)
    if keys.numbers[i] != keys.numbers[j]:
        return False  # 'Part 1' / 'Part 2', 'phase II' / 'phase III'
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
