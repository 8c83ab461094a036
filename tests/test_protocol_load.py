"""Loading protocols: the shipped YAML protocols, published criteria (markdown) and invalid files."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.protocol.errors import ProtocolError
from screening.protocol.load import load_protocol
from screening.protocol.markdown_criteria import parse_markdown_protocol, split_sentences

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ROOT / "data" / "protocols"
FIXTURES = Path(__file__).parent / "fixtures" / "protocol"


def test_reference_protocol_loads_with_spices_and_codes() -> None:
    protocol = load_protocol(PROTOCOLS / "coproduction_integrated_care.yaml")
    assert protocol.question.framework == "SPICES"
    assert set(protocol.question.elements) == {"setting", "perspective", "intervention", "comparison",
                                               "evaluation", "method"}
    assert protocol.years == (2012, 2022)
    names = [c.name for c in protocol.concepts]
    assert {"co-production", "integrated care", "perspectives", "design", "transformation"} <= set(names)
    coproduction = protocol.concept("Co-Production")
    assert coproduction.required
    assert {"co-design", "experience-based co-design", "patient and public involvement"} <= set(
        coproduction.synonyms)
    assert {"E-NOT-COPROD", "E-QUANT-ONLY", "E-YEAR", "E-NOT-PRIMARY", "I-SETTING"} <= set(protocol.reason_codes)


def test_demo_protocol_loads() -> None:
    protocol = load_protocol(PROTOCOLS / "donners_2021.yaml")
    assert protocol.question.framework == "PICO"
    assert [c.name for c in protocol.concepts] == ["emicizumab", "pharmacokinetics", "humans"]
    assert "ACE910" in protocol.concept("emicizumab").synonyms
    assert {"I-HUMAN", "I-PK", "E-NO-PK"} <= set(protocol.reason_codes)


def test_inline_numbered_criteria_become_separate_inclusion_criteria() -> None:
    """Donners 2021: "...providing (1) data on humans, (2) original PK data ..., and (3) access ..."."""
    protocol = load_protocol(FIXTURES / "Donners_2021.criteria.md")
    assert protocol.title.startswith("Pharmacokinetics and Associated Efficacy of Emicizumab")
    assert protocol.question.text == protocol.title
    assert [c.code for c in protocol.inclusion] == ["I1", "I2", "I3"]
    assert protocol.inclusion[0].text == "data on humans"
    assert protocol.inclusion[1].text == "original PK data or modeled PK data or PK/PD relationships"
    assert protocol.exclusion == []
    eligibility = protocol.concept("eligibility")
    assert eligibility.required and "data on humans" in eligibility.definition


def test_exclusion_sentences_and_lettered_lists() -> None:
    """Meijboom 2021 mixes an exclusion sentence with an inclusion enumeration; vdS 2018 uses (a)-(d)."""
    meijboom = load_protocol(FIXTURES / "Meijboom_2021.criteria.md")
    assert [c.text for c in meijboom.exclusion] == [
        "Congress abstracts, reviews, editorials, and other opinion articles were excluded."]
    assert len(meijboom.inclusion) == 7  # "Only original research ..." + the six numbered criteria
    assert meijboom.inclusion[-1].text == "the full-text version of the article could be obtained"
    # the reference line under the title is not a criterion
    assert all("BioDrugs" not in c.text for c in meijboom.inclusion + meijboom.exclusion)

    schoot = load_protocol(FIXTURES / "van_de_Schoot_2018.criteria.md")
    assert len(schoot.inclusion) == 4 and not schoot.exclusion
    assert schoot.inclusion[2].text.startswith("studies that used a clustering method (LGMM")


def test_numbered_exclusion_list_after_exclusion_lead_in() -> None:
    """Sep 2021: "Exclusion criteria were: 1) ...; 2) ...; 3) ..., 4) ..." -> E1..E4."""
    protocol = load_protocol(FIXTURES / "Sep_2021.criteria.md")
    assert [c.code for c in protocol.exclusion] == ["E1", "E2", "E3", "E4"]
    assert protocol.exclusion[0].text == "no primary literature in English"
    assert protocol.exclusion[2].text == "non-rodent species"
    assert [c.text for c in protocol.inclusion[:3]] == ["original article in the English language", "OIC task",
                                                        "rodents"]


def test_bullets_keep_definitions_and_split_off_exclusions() -> None:
    """Smid 2020: a bullet whose last sentence excludes things yields one inclusion and one exclusion."""
    protocol = load_protocol(FIXTURES / "Smid_2020.criteria.md")
    texts = [c.text for c in protocol.inclusion]
    assert any(t.startswith("Structural equation models. Models of interest") for t in texts)
    # the bullet's wrapped line was joined, and its exclusion sentence became an exclusion criterion
    assert "Network analysis, machine learning, meta-analysis and item response theory were excluded." in [
        c.text for c in protocol.exclusion]
    assert any(c.text.startswith("Non-English references were excluded") for c in protocol.exclusion)
    # the lead-in sentence ending in ':' is not a criterion
    assert all(not t.endswith(":") for t in texts)


def test_sentences_of_a_paragraph_are_classified() -> None:
    """Nelson 2002: an "excluded if" sentence inside a paragraph is an exclusion criterion."""
    protocol = load_protocol(FIXTURES / "Nelson_2002.criteria.md")
    assert [c.text[:40] for c in protocol.exclusion] == ["Studies were excluded if the population "]
    assert any(c.text.startswith("In general, studies were included if") for c in protocol.inclusion)


def test_file_without_published_criteria_gives_title_only_protocol() -> None:
    protocol = load_protocol(FIXTURES / "Nagtegaal_2019.criteria.md")
    title = "Nudging healthcare professionals towards evidence-based medicine: A systematic scoping review"
    assert protocol.title == title
    assert protocol.question.text == title
    assert protocol.inclusion == [] and protocol.exclusion == []
    assert [(c.name, c.definition, c.required) for c in protocol.concepts] == [("topic", title, True)]


def test_labelled_lists_explicit_codes_and_definitions(tmp_path: Path) -> None:
    """The shapes a team writes itself: labels, bullets, own codes, a definitions list, a search block."""
    path = tmp_path / "criteria.md"
    path.write_text(
        "# Exercise for knee osteoarthritis\n\n"
        "## Definitions\n\n- Osteoarthritis is a degenerative joint disease.\n\n"
        "## Criteria\n\n"
        "Inclusion criteria:\n- Adults with knee osteoarthritis\n- I9: Randomised controlled trials\n"
        "- Any supervised exercise programme\n\n"
        "Exclusion criteria:\n- Hip osteoarthritis only\n- E-SURGERY: Post-surgical rehabilitation\n\n"
        "## Search query\n\n```text\nknee AND exercise\n```\n",
        encoding="utf-8",
    )
    protocol = load_protocol(path)
    assert [(c.code, c.text) for c in protocol.inclusion] == [
        ("I1", "Adults with knee osteoarthritis"), ("I9", "Randomised controlled trials"),
        ("I2", "Any supervised exercise programme")]
    assert [(c.code, c.text) for c in protocol.exclusion] == [
        ("E1", "Hip osteoarthritis only"), ("E-SURGERY", "Post-surgical rehabilitation")]
    assert protocol.concept("Osteoarthritis").required is False
    assert "knee AND exercise" not in protocol.concept("eligibility").definition


def test_headings_and_bare_labels_set_the_direction(tmp_path: Path) -> None:
    """Cochrane-style sections: an "Objective" joins the question, "Exclusion criteria" headings exclude."""
    path = tmp_path / "criteria.md"
    path.write_text(
        "# Statins for primary prevention\n\nA reference line (2020).\n\n"
        "## Objective\n\nTo assess statins in people without cardiovascular disease.\n\n"
        "## Participants\n\nInclusion criteria\nAdults aged 40 or over.\nExclusion criteria\n"
        "People with a previous myocardial infarction.\n\n"
        "### Exclusion criteria\n\nCrossover trials.\n",
        encoding="utf-8",
    )
    protocol = load_protocol(path)
    assert protocol.question.text == ("Statins for primary prevention. "
                                      "To assess statins in people without cardiovascular disease.")
    assert [c.text for c in protocol.inclusion] == ["Adults aged 40 or over."]
    assert [c.text for c in protocol.exclusion] == ["People with a previous myocardial infarction.",
                                                    "Crossover trials."]


def test_sentence_splitting_keeps_abbreviations() -> None:
    text = "Controls (e.g. placebo) were allowed, as in Smith et al. 2001. Reviews were excluded."
    assert split_sentences(text) == ["Controls (e.g. placebo) were allowed, as in Smith et al. 2001.",
                                     "Reviews were excluded."]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invalid_missing_field.yaml", "line 9: concepts[2].definition: Field required"),
        ("invalid_wrong_type.yaml", "line 7: concepts[0].required: Input should be a valid boolean"),
        ("invalid_wrong_type.yaml", "line 8: years[1]: Input should be a valid integer"),
        ("invalid_unknown_key.yaml", "line 7: concepts[0].synonym: unknown key (did you mean 'synonyms'?"),
        ("invalid_duplicate_code.yaml", "criterion codes must be unique, repeated: ['I-DESIGN']"),
        ("invalid_syntax.yaml", "invalid YAML: found unexpected end of stream (while scanning a quoted scalar "
                                "that starts at line 6, column 17)"),
        ("invalid_framework_elements.yaml", "question: elements ['setting'] are not part of PICO"),
        ("invalid_years_reversed.yaml", "line 4: years: years must be [first, last], got [2022, 2012]"),
        ("invalid_empty.yaml", "the file is empty"),
        ("invalid_no_title.md", "no '# <review title>' line found"),
    ],
)
def test_invalid_files_raise_clear_errors(name: str, expected: str) -> None:
    path = FIXTURES / name
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message
    assert isinstance(caught.value, ValueError)


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.yml"
    path.write_text("title: A\nquestion:\n  text: Q\ntitle: B\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"line 4, column 1: invalid YAML: duplicate key 'title'"):
        load_protocol(path)


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"protocol\.json: unknown protocol file type '\.json'"):
        load_protocol(tmp_path / "protocol.json")
    with pytest.raises(ProtocolError, match=r"absent\.yaml: file not found"):
        load_protocol(tmp_path / "absent.yaml")


def test_markdown_text_without_a_file_names_the_source() -> None:
    with pytest.raises(ProtocolError, match=r"^upload\.md: the file is empty"):
        parse_markdown_protocol("  \n", "upload.md")
