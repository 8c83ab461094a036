"""Tags and personal highlight words on the Screen page (issue 13 item 3); tags stay personal in blind mode."""

from __future__ import annotations

import pytest

from screening.decisions.tags import TagError, keywords, own_tags, set_tags, visible_tags
from tests.app_helpers import make_project, open_app, page_text, records, shown_record_source_id

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_tags_and_highlight_words_on_screen(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    at = open_app(project.path, monkeypatch)
    record_id = int(records(project).set_index("source_id").loc[shown_record_source_id(at), "id"])
    at.text_input(key="words_include").input("the, Results").run()
    at.text_input(key="words_exclude").input("mice").run()
    assert keywords(project, "solo") == {"include": ["the", "Results"], "exclude": ["mice"]}
    text = page_text(at)
    assert 'title=\\"your include word\\"' in text and "your include word</mark>" in text  # legend too
    at.multiselect(key=f"tags_{record_id}").set_value(["check methods", "ask ann"]).run()
    assert not at.exception and own_tags(project, "solo", record_id) == ["check methods", "ask ann"]
    at.multiselect(key=f"tags_{record_id}").set_value(["ask ann"]).run()
    assert own_tags(project, "solo", record_id) == ["ask ann"]


def test_tags_are_personal_so_blind_reviewers_learn_nothing_from_them(tmp_path):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead"})
    first = int(records(project)["id"].min())
    set_tags(project, "ann", first, ["probably out"])
    assert visible_tags(project, "bob") == {} and visible_tags(project, "ann") == {first: ["probably out"]}
    assert visible_tags(project, "lead") == {first: ["probably out"]}
    with pytest.raises(TagError, match="at most 64"):
        set_tags(project, "ann", first, ["x" * 65])
