"""Issue 13's smaller items in AppTest against real projects: one meaning of "screened", reason codes that
fit the decision, statistics shown in range, and the minor fixes."""

from __future__ import annotations

import time

import pytest

from screening.app.highlight import highlight_html
from screening.decisions.queries import current_decisions, latest_consensus
from screening.decisions.status import (
    exclusion_reasons,
    irrelevant_since_last_include,
    project_status,
    screened_in_view,
)
from screening.store.settings import set_setting
from tests.app_helpers import (
    decide,
    go,
    make_project,
    open_app,
    page_text,
    records,
    shown_record_source_id,
    sign_in,
)

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def _metric(at, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in at.metric if m.label == label)


def test_screened_means_the_same_on_screen_progress_and_status(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    ids = list(records(project)["id"])
    for record_id, decision in zip(ids, ["include", "include", "exclude", "maybe"], strict=False):
        decide(project, "solo", int(record_id), decision)
    at = open_app(project.path, monkeypatch)
    assert "Screened 4 of 40 in your queue" in at.get("progress")[0].proto.text
    assert _metric(at, "Your maybes") == "1"
    go(at, "Progress")
    assert _metric(at, "Screened") == "4 / 40" and _metric(at, "Maybe (not labelled)") == "1"
    assert _metric(at, "Includes found") == "2"
    assert any("labelled include or exclude" in c.value and "the 3 records" in c.value for c in at.caption)
    assert project_status(project)["stages"]["title_abstract"]["screened"] == 4


def test_a_blind_reviewer_counts_only_what_they_may_see(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    ids = [int(i) for i in records(project)["id"]]
    decide(project, "ann", ids[0], "include")
    decide(project, "ann", ids[1], "maybe")
    before = screened_in_view(project, "title_abstract", "ann")
    for record_id in ids[2:6]:  # bob's unresolved decisions must not change ann's figures
        decide(project, "bob", record_id, "exclude")
    assert screened_in_view(project, "title_abstract", "ann") == before == (2, 1)
    at = sign_in(open_app(project.path, monkeypatch), "ann")
    go(at, "Progress")
    assert _metric(at, "Screened") == "2 / 40" and _metric(at, "Maybe (not labelled)") == "1"


def test_reason_codes_must_fit_the_decision_on_screen(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    at = open_app(project.path, monkeypatch)
    shown = shown_record_source_id(at)
    record_id = int(records(project).set_index("source_id").loc[shown, "id"])
    reasons = at.multiselect(key=f"reasons_{record_id}")
    assert reasons.format_func("I1").startswith("include · I1") and reasons.format_func("E2").startswith("exclude")
    reasons.set_value(["I1"]).run()
    at.button(key="btn_exclude").click().run()
    assert "I1 does not fit an exclude: an exclude takes exclusion criteria (E1, E2, E3)" in at.error[0].value
    assert current_decisions(project, "title_abstract").empty
    at.button(key="btn_include").click().run()  # the same code with an include is fine
    mine = current_decisions(project, "title_abstract")
    assert (mine["decision"].tolist(), mine["reasons"].tolist()) == (["include"], ["I1"])


def _conflict_on_contested(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Dual screening with ann including and bob excluding the first record; the lead on Contested."""
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    first = int(records(project)["id"].min())
    decide(project, "ann", first, "include")
    decide(project, "bob", first, "exclude")
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Contested")
    return project, first, at


def test_the_consensus_form_refuses_an_inclusion_code_on_an_exclude(tmp_path, monkeypatch):
    project, first, at = _conflict_on_contested(tmp_path, monkeypatch)
    at.selectbox(key="contested_record").set_value(first).run()
    at.radio(key=f"consensus_decision_{first}").set_value("exclude")
    at.multiselect(key=f"consensus_reasons_{first}").set_value(["I2", "E1"])
    at.button[[b.label for b in at.button].index("Record consensus")].click().run()
    assert "I2 does not fit an exclude" in at.error[0].value and latest_consensus(project, "title_abstract").empty
    at.radio(key=f"consensus_decision_{first}").set_value("exclude")
    at.multiselect(key=f"consensus_reasons_{first}").set_value(["E1"])
    at.button[[b.label for b in at.button].index("Record consensus")].click().run()
    assert latest_consensus(project, "title_abstract")["reasons"].tolist() == ["E1"]


def test_a_concept_term_inside_a_hyphenated_word_is_not_marked():
    text = "In non-human primates and in humans; human-derived cells; a humane study."
    spans = [(text.index("human"), text.index("human") + 5, "humans"),
             (text.index("humans"), text.index("humans") + 6, "humans"),
             (text.index("human-"), text.index("human-") + 5, "humans"),
             (text.index("humane"), text.index("humane") + 5, "humans")]
    out = highlight_html(text, spans, {"humans": "#ffe08a"})
    assert out.count("<mark") == 1 and '">humans</mark>' in out and "non-human primates" in out


def _emoji(text: str) -> list[str]:
    return [c for c in text if ord(c) >= 0x1F000 or 0x2600 <= ord(c) <= 0x27BF]


def test_decisions_show_as_coloured_words_not_emoji(tmp_path, monkeypatch):
    project, first, at = _conflict_on_contested(tmp_path, monkeypatch)
    text = page_text(at)
    assert ">include</span>" in text and ">exclude</span>" in text and _emoji(text) == []
    for page in ("Screen", "Full texts", "Progress", "Project", "Team"):
        assert _emoji(page_text(go(at, page))) == [], page


def test_concept_bars_are_percentiles_within_the_review(tmp_path, monkeypatch):
    from screening.app.context import load_protocol
    from screening.rank.queue import build_project_ranker

    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    ranker = build_project_ranker(project, load_protocol(project), "tfidf")
    scores = ranker.ranker.concept_scores()
    ids = list(ranker.record_ids)
    for concept in scores.columns:
        best, worst = ids[int(scores[concept].idxmax())], ids[int(scores[concept].idxmin())]
        assert ranker.percentiles(best)[concept] == 1.0
        assert ranker.percentiles(worst)[concept] == pytest.approx((scores[concept] == scores[concept].min()).mean())
    at = open_app(project.path, monkeypatch)
    for _ in range(240):  # the fast ranker is built in the background
        if any("Ranked by" in c.value for c in at.caption):
            break
        time.sleep(0.25)
        at.run()
    bars = [p.proto for p in at.get("progress") if "percentile" in p.proto.text]
    assert len(bars) == len(scores.columns)
    for bar in bars:
        shown = int(bar.text.split("percentile ")[1].split(" ")[0])
        assert 0 <= shown <= 100 and abs(bar.value - shown) <= 1
    assert any(c.value.startswith("Concept match, percentile") and "same scale" in c.proto.help for c in at.caption)


def test_screen_counts_irrelevant_records_since_the_last_include_and_has_keyboard_help(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    ids = [int(i) for i in records(project)["id"]]
    for record_id, decision in zip(ids, ["exclude", "include", "exclude", "maybe", "exclude", "exclude"],
                                   strict=False):
        decide(project, "solo", record_id, decision)
    mine = current_decisions(project, "title_abstract", viewer="solo")
    assert irrelevant_since_last_include(mine) == 3
    assert irrelevant_since_last_include(mine[mine["decision"] != "include"]) == 4  # no include yet: all
    at = open_app(project.path, monkeypatch)
    assert _metric(at, "Irrelevant since last include") == "3"
    help_box = next(e for e in at.expander if e.label == "Keyboard help")
    assert "undo your last decision" in help_box.markdown[0].value


def test_marks_keep_dark_text_so_the_dark_theme_stays_readable():
    from screening.app.components import record_card_html
    from screening.protocol.load import load_protocol
    from tests.app_helpers import PROTOCOL

    html = record_card_html({"title": "Emicizumab in patients", "abstract": "Emicizumab plasma levels in children.",
                             "authors": "A; B", "journal": "J"}, load_protocol(PROTOCOL))
    marks = html.count("<mark ")
    assert marks >= 3 and html.count("color:#1a1a1a") == marks
    assert "color:#4" not in html and "color:#5" not in html and "color:#6" not in html


def test_progress_lists_exclusion_reasons_per_stage(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    ids = [int(i) for i in records(project)["id"]]
    decide(project, "solo", ids[0], "exclude", reasons=["E1"])
    decide(project, "solo", ids[1], "exclude", reasons=["E1", "E2"])
    decide(project, "solo", ids[2], "exclude")
    decide(project, "solo", ids[3], "include", reasons=["I1"])
    assert exclusion_reasons(project, "title_abstract").values.tolist() == [["E1", 2], ["(no reason given)", 1],
                                                                           ["E2", 1]]
    at = go(open_app(project.path, monkeypatch), "Progress")
    table = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert dict(zip(table["reason"], table["records"], strict=True)) == {"E1": 2, "(no reason given)": 1, "E2": 1}
    assert [t.label for t in at.tabs] == ["Title / abstract", "Full text"]
