"""spaCy pipeline: sentences and the case/inflection-insensitive concept matcher."""

from __future__ import annotations

from screening.protocol.schema import Protocol
from screening.rank.api import highlight_spans
from screening.rank.text import get_nlp, record_text, sentences
from tests.rank_helpers import load_sample

PROTOCOL = Protocol(
    title="PTSD trajectories",
    question={"text": "Which trajectories of PTSD symptoms follow trauma?"},
    concepts=[
        {"name": "trajectory", "definition": "Distinct courses of symptoms over time.",
         "synonyms": ["latent growth mixture model", "latent class growth analysis"]},
        {"name": "PTSD", "definition": "Post-traumatic stress disorder.", "synonyms": ["posttraumatic stress"]},
    ],
)


def test_matcher_is_case_and_inflection_insensitive() -> None:
    text = "Latent Growth Mixture Models identified four TRAJECTORIES of Posttraumatic Stress in children."
    spans = highlight_spans(text, PROTOCOL)
    found = {(text[start:end], name) for start, end, name in spans}
    assert found == {
        ("Latent Growth Mixture Models", "trajectory"),
        ("TRAJECTORIES", "trajectory"),
        ("Posttraumatic Stress", "PTSD"),
    }


def test_matcher_spans_point_into_the_original_text_of_a_real_record() -> None:
    records, protocol = load_sample("van_de_Schoot_2018")
    protocol = PROTOCOL
    hits = 0
    for title, abstract in zip(records["title"], records["abstract"], strict=True):
        text = record_text(title, abstract)
        for start, end, name in highlight_spans(text, protocol):
            assert name in {"trajectory", "PTSD"}
            assert text[start:end].strip() == text[start:end] and end > start
            hits += 1
    assert hits > 20  # the sample is about PTSD trajectories


def test_no_concepts_no_spans() -> None:
    bare = Protocol(title="t", question={"text": "q"})
    assert highlight_spans("Anything at all.", bare) == []


def test_sentences_start_with_the_title_and_skip_missing_text() -> None:
    result = sentences(["A title", None, float("nan")], ["First sentence. Second one! 12.", "", "Only this."])
    assert result == [["A title", "First sentence.", "Second one!"], [], ["Only this."]]


def test_pipeline_is_cached_and_has_the_lookup_lemmatizer() -> None:
    nlp = get_nlp()
    assert nlp is get_nlp()
    assert nlp.pipe_names == ["sentencizer", "lemmatizer", "lowercase_lemmas"]
    assert [t.lemma_ for t in nlp("Mice Studies")] == ["mouse", "study"]
