"""Duplicate detection on real CC0 records with injected, perturbed copies (see fixtures/dedup/README.md)."""

from __future__ import annotations

from pathlib import Path
from random import Random

import pandas as pd
import pytest

from screening.dedup.keep import kept_records
from screening.dedup.match import find_duplicate_groups
from screening.dedup.perturb import PERTURBATIONS, export_abstract, notice, perturb
from screening.records.model import normalise_doi

FIXTURE = Path(__file__).parent / "fixtures" / "dedup" / "records.csv"
COLUMNS = ["id", "title", "year", "authors", "doi", "pmid"]


def fixture_records() -> pd.DataFrame:
    """The fixture in the dedup input shape, ids 1..n."""
    raw = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    return pd.DataFrame({
        "id": range(1, len(raw) + 1),
        "source_id": raw["record_id"],
        "title": raw["title"],
        "abstract": [text or None for text in raw["abstract"]],
        "year": pd.to_numeric(raw["year"], errors="coerce").astype("Int64"),
        "authors": [text or None for text in raw["authors"]],
        "doi": [normalise_doi(text) for text in raw["doi"]],
        "pmid": None,
    })


def with_copies(records: pd.DataFrame, kinds: tuple[str, ...], n: int, seed: int = 3) -> pd.DataFrame:
    """records + up to n perturbed copies (column `origin`: the copied id; originals point at themselves)."""
    rng = Random(seed)
    copies = []
    for source in records.sample(frac=1, random_state=seed).to_dict("records"):
        copy = perturb(source, kinds, rng)
        if copy is not None:
            copies.append({**copy, "id": 10_000 + len(copies), "origin": source["id"]})
        if len(copies) == n:
            break
    return pd.concat([records.assign(origin=records["id"]), pd.DataFrame(copies)], ignore_index=True)


def group_of(groups: list[list[int]]) -> dict[int, list[int]]:
    return {member: group for group in groups for member in group}


def test_distinct_real_records_are_not_grouped() -> None:
    assert find_duplicate_groups(fixture_records()[COLUMNS]) == []


@pytest.mark.parametrize("kinds", [
    *[(kind,) for kind in PERTURBATIONS if kind != "missing_doi"],
    *[(kind, "missing_doi") for kind in PERTURBATIONS if kind != "missing_doi"],
    ("case", "punctuation", "year", "missing_doi"),
    ("html_entities", "added_subtitle", "author_order", "missing_doi"),
    ("truncated_subtitle", "year", "author_order", "missing_doi"),
])
def test_perturbed_copies_join_their_original_and_nothing_else(kinds: tuple[str, ...]) -> None:
    data = with_copies(fixture_records(), kinds, n=12)
    copies = data[data["id"] >= 10_000]
    assert len(copies) >= 5, f"fixture has too few records that {kinds} applies to"
    groups = find_duplicate_groups(data[COLUMNS])
    origin = dict(zip(data["id"], data["origin"], strict=True))
    for group in groups:
        assert len({origin[member] for member in group}) == 1, f"distinct records grouped: {group}"
    found = group_of(groups)
    grouped = [row.id for row in copies.itertuples() if found.get(row.id) == sorted([row.origin, row.id])]
    # The fixture is rich in short generic titles ('Multilevel Models'), where a dropped subtitle is
    # deliberately not trusted; the benchmark measures recall at scale.
    assert len(grouped) >= 0.8 * len(copies), f"{kinds}: only {len(grouped)} of {len(copies)} copies found"


def test_every_whole_title_perturbation_of_a_specific_title_is_found() -> None:
    """Without a subtitle change a specific (not 'Multilevel Models') title identifies the work by itself."""
    records = fixture_records()
    records = records[records["title"].str.len() >= 40]
    data = with_copies(records, ("case", "punctuation", "html_entities", "missing_doi"), n=40)
    found = group_of(find_duplicate_groups(data[COLUMNS]))
    copies = data[data["id"] >= 10_000]
    assert all(found.get(row.id) == sorted([row.origin, row.id]) for row in copies.itertuples())


def test_near_identical_titles_of_different_works_stay_apart_without_dois() -> None:
    records = fixture_records()
    hard = records[records["title"].str.contains(
        "cluster randomized trials with|logistic model|Test Overlap|repeated measurements I|Multilevel Model",
        case=False, regex=True)]
    assert len(hard) >= 6
    assert find_duplicate_groups(hard.assign(doi=None)[COLUMNS]) == []


def test_errata_comments_and_replies_are_not_the_work_itself() -> None:
    original = fixture_records().iloc[[0, 1, 2]]
    notices = pd.DataFrame([
        {"id": 901, "title": f"Erratum: {original.iloc[0]['title']}"},
        {"id": 902, "title": f"Re: {original.iloc[1]['title']}"},
        {"id": 903, "title": f"Reply to: {original.iloc[2]['title']}"},
        {"id": 904, "title": f"Correction to {original.iloc[0]['title']}"},
    ]).assign(year=None, authors=None, doi=None, pmid=None)
    assert find_duplicate_groups(pd.concat([original.assign(doi=None)[COLUMNS], notices])) == []


def test_different_dois_block_a_fuzzy_merge_and_same_doi_or_pmid_groups() -> None:
    record = fixture_records().iloc[[5]]
    other_doi = record.assign(id=900, title=record["title"].str.upper(), doi="10.9999/another.work")
    same_doi = record.assign(id=901, title="A completely different title in another database")
    assert find_duplicate_groups(pd.concat([record, other_doi])[COLUMNS]) == []
    assert find_duplicate_groups(pd.concat([record, same_doi])[COLUMNS]) == [[int(record["id"].iloc[0]), 901]]
    pubmed = pd.DataFrame({"id": [1, 2], "title": ["Alpha study", "Beta trial"], "year": [2001, 2003],
                           "authors": [None, None], "doi": [None, None], "pmid": ["123456", "123456"]})
    assert find_duplicate_groups(pubmed) == [[1, 2]]


def test_year_more_than_one_apart_is_another_work() -> None:
    record = fixture_records().query("year.notna()").iloc[[0]]
    later = record.assign(id=900, year=record["year"] + 2, doi=None)
    assert find_duplicate_groups(pd.concat([record, later])[COLUMNS]) == []


def test_a_truncated_title_does_not_chain_two_works_with_the_same_main_title() -> None:
    base = {"year": None, "authors": None, "doi": None, "pmid": None}
    records = pd.DataFrame([
        {"id": 1, "title": "Health in the palm of your hand - Part 1: the risks of smartphone abuse", **base},
        {"id": 2, "title": "Health in the palm of your hand - Part 2: design of an educational module", **base},
        {"id": 3, "title": "Health in the palm of your hand", **base},
    ])
    assert all(not {1, 2} <= set(group) for group in find_duplicate_groups(records))


def test_do_not_merge_pairs_are_respected_even_through_a_third_record() -> None:
    data = with_copies(fixture_records(), ("case", "missing_doi"), n=1)
    copy = data.iloc[-1]
    second = data.iloc[[-1]].assign(id=20_000, title=copy["title"].lower())
    data = pd.concat([data, second])
    origin_id, copy_id = int(copy["origin"]), int(copy["id"])
    assert [origin_id, copy_id, 20_000] in find_duplicate_groups(data[COLUMNS])
    groups = find_duplicate_groups(data[COLUMNS], do_not_merge=[(origin_id, copy_id)])
    assert not any({origin_id, copy_id} <= set(group) for group in groups)


def test_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="pmid"):
        find_duplicate_groups(fixture_records().drop(columns=["pmid"]))


def test_kept_record_is_the_most_complete_then_the_lowest_id() -> None:
    records = pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 6],
        "doi": [None, "10.1/x", "10.1/x", None, None, None],
        "abstract": [None, "short", "a longer abstract", None, None, "text"],
    })
    kept = kept_records(records, [[1, 2, 3], [4, 5]])
    assert kept == {1: 3, 2: 3, 3: 3, 4: 4, 5: 4}
    assert kept_records(records, [[4, 6]]) == {4: 6, 6: 6}  # an abstract beats a lower id


def one_record(**fields: object) -> dict:
    return {"year": None, "authors": None, "doi": None, "pmid": None, "abstract": None, **fields}


def groups_of(*records: dict) -> list[list[int]]:
    return find_duplicate_groups(pd.DataFrame([{"id": n, **r} for n, r in enumerate(records, start=1)]))


# Two invented abstracts (about 60 words each) on one topic, so that they share words but not text.
ABSTRACT_A = ("Background: Emicizumab is a bispecific antibody that bridges activated factor IX and factor X. "
              "We followed 44 children with severe haemophilia A for a median of 14 months after the switch from "
              "factor VIII prophylaxis and recorded treated bleeds, thrombin generation and adverse events. "
              "Results: the annualised bleeding rate fell from 2.1 to 0.4 and no thrombotic event occurred.")
ABSTRACT_B = ("Objective: To describe laboratory monitoring in patients with haemophilia A treated with "
              "emicizumab. Methods: We compared one-stage clotting assays, chromogenic assays with bovine "
              "reagents and thrombin generation in plasma of 12 adults at steady state. Conclusions: "
              "chromogenic assays with bovine components measure factor VIII activity without interference.")


def test_a_title_cut_short_is_found_when_the_author_lists_match() -> None:
    authors = "Alessandro Armuzzi; Gionata Fiorino; Alessandro Variola"
    title = "The PROSIT Cohort of Infliximab Biosimilar in IBD: A Prolonged Follow-up on the Effectiveness"
    full = one_record(title=title, authors=authors, year=2019, doi="10.1093/ecco-jcc/jjy1")
    cut = one_record(title=title[:41] + "...", authors="Armuzzi A; Fiorino G; Variola A", year=2019)
    assert groups_of(full, cut) == [[1, 2]]
    assert groups_of(full, {**cut, "authors": "Ghosh S; Danese S"}) == []  # another work starting alike
    assert groups_of(full, {**cut, "authors": None}) == []  # a cut title alone proves nothing


def test_a_subtitle_appended_to_a_title_that_already_has_one_is_found() -> None:
    title = "Flares in Rheumatoid Arthritis: Frequency and Management"
    assert groups_of(one_record(title=title), one_record(title=f"{title}: a report from the BRASS registry")) \
        == [[1, 2]]
    assert groups_of(one_record(title=title), one_record(title=f"{title}. A cohort study")) == [[1, 2]]
    # ...but a title continued by two different subtitles is the start of two works: it joins neither
    assert groups_of(one_record(title=title), one_record(title=f"{title}: a report from the BRASS registry"),
                     one_record(title=f"{title}. A cohort study of 1,000 patients")) == []


def test_records_without_any_year_are_matched_on_title_and_abstract() -> None:
    full = one_record(title="Negating Solastalgia: An Emotional Revolution from the Anthropocene to the Symbiocene",
                      abstract=ABSTRACT_A)
    short = one_record(title="Negating Solastalgia", abstract="ABSTRACT " + ABSTRACT_A[:250] + " © 2020 Elsevier")
    assert groups_of(full, short) == [[1, 2]]
    assert groups_of(full, {**short, "abstract": ABSTRACT_B}) == []  # one main title, two texts


def test_the_same_doi_written_another_way_still_groups() -> None:
    title = "Resilience in the initial year of caregiving for a family member with a spinal cord injury"
    assert groups_of(one_record(title=title, doi="10.1037/a0037593."),
                     one_record(title=title.upper(), doi="https://doi.org/10.1037%2FA0037593")) == [[1, 2]]


def test_language_notes_greek_letters_and_markup_are_not_part_of_the_title() -> None:
    assert groups_of(
        one_record(title="[Effects of β-blockers on left ventricular mass in arterial hypertension]"),
        one_record(title="Effects of beta-blockers on left ventricular mass in arterial hypertension "
                         "[Article in German]"),
        one_record(title="[Effects of <i>beta</i>-blockers on left ventricular mass in arterial hypertension "
                         "(author's transl)]."),
    ) == [[1, 2, 3]]


def test_two_works_sharing_a_generic_title_stay_apart_when_their_abstracts_differ() -> None:
    assert groups_of(one_record(title="Liver disease in pregnancy", abstract=ABSTRACT_A),
                     one_record(title="Liver disease in pregnancy", abstract=ABSTRACT_B)) == []
    # and a third record with that title but no abstract or authors cannot say which one it is
    assert groups_of(one_record(title="Liver disease in pregnancy", abstract=ABSTRACT_A),
                     one_record(title="Liver disease in pregnancy", abstract=ABSTRACT_B),
                     one_record(title="Liver Disease in Pregnancy.")) == []


def test_a_comment_titled_like_the_article_by_other_authors_never_joins_it() -> None:
    title = "Post-traumatic stress symptoms 5 years after military deployment to Afghanistan"
    article = one_record(title=f"{title}: an observational cohort study", authors="Eekhout I; Reijnen A", year=2016)
    comment = one_record(title=title, authors="Richardson JD; King L", year=2016)
    untraced = one_record(title=f"{title}: An observational cohort study")  # no authors: could be either
    assert all(not {1, 2} <= set(group) for group in groups_of(article, comment, untraced))
    assert groups_of(article, comment) == []


def test_notices_repeating_a_title_stay_apart_from_the_work() -> None:
    records = fixture_records()
    rng = Random(11)
    notices = pd.DataFrame([{**notice(row, rng), "id": 20_000 + n} for n, row in enumerate(
        records.head(60).to_dict("records"))])
    groups = find_duplicate_groups(pd.concat([records, notices])[COLUMNS + ["abstract"]])
    assert not any(member >= 20_000 for group in groups for member in group)


def test_an_abstract_exported_differently_still_agrees() -> None:
    """Cut short, with headings, copyright line or markup changed, the abstract confirms a short title."""
    rng = Random(2)
    variants = [export_abstract(ABSTRACT_A, rng) for _ in range(40)]
    variants = [v for v in variants if v and len(v.split()) >= 20]  # missing or very short: nothing to compare
    for variant in variants:
        assert groups_of(one_record(title="Case report: emicizumab in a toddler", abstract=ABSTRACT_A),
                         one_record(title="Case report", abstract=variant)) == [[1, 2]], variant[:80]
