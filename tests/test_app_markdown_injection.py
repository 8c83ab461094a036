"""Every page, rendered with Markdown and HTML payloads in every field that comes from files or people.

A complete review (tests/review_helpers.py) is made hostile: the protocol's title, question, concept names,
definitions and synonyms, criteria, a reason code, appraisal items, scale labels and guidance, extraction
labels and help; every record's source id, title, abstract, authors and journal; every reviewer's name;
notes, a consensus note, a not-retrieved reason, an attached PDF's file name, extraction values, an import
file name and the excerpt its error quotes. Then every page is opened at both stages as the lead, a reviewer
and an advisory-group member, and every string the app sends to the browser for Markdown rendering
(markdown, captions, headers, alerts, toasts, expander and tab labels, widget labels, help, radio options,
progress texts) must hold no payload that Markdown would turn into an image, link, math, colour, bold or
heading; every ``st.html`` body must hold no raw tag from a payload.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from google.protobuf.message import Message
from sqlalchemy import select

from screening.advisory.assignments import assign_to_advisors
from screening.advisory.views import record_view
from screening.app.context import User
from screening.app.main import pages_for
from screening.app.uploads import import_uploads
from screening.decisions.record import record_consensus
from screening.extraction.store import save_extraction
from screening.fulltext.reports import attach_pdf, mark_not_retrieved
from screening.records.model import RecordIn
from screening.sources.manual import add_manual_record
from screening.store.identity import reviewer_key
from screening.store.project import Project
from screening.store.schema import Record, Reviewer
from tests.app_helpers import go, open_app
from tests.review_helpers import DOIS, FT, TA, TEAM, complete_review, decide, study_pdf

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

PAYLOAD = ("![x](http://evil/x.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** $x$ "
           ":red[red] _em_ `tick`")
BLOCK_PAYLOAD = PAYLOAD + "\n# heading\n- item"
# What must never reach a Markdown renderer unescaped: each pattern is the payload's Markdown meaning, and
# (?<!\\) says the character that opens it is not backslash-escaped.
MARKERS = {
    "image": r"!(?<!\\)\[x(?<!\\)\]\(",
    "link": r"(?<!\\)\[click(?<!\\)\]\(javascript",
    "bare link": r"http://evil",
    "html": r"(?<!\\)<img",
    "bold": r"(?<!\\)\*(?<!\\)\*bold",
    "underscore bold": r"(?<!\\)_(?<!\\)_bold",
    "emphasis": r"(?<!\\)_em(?<!\\)_",
    "math": r"(?<!\\)\$x(?<!\\)\$",
    "colour": r":red(?<!\\)\[",
    "heading": r"(?m)^(?:[ \t]*[-*+>][ \t]+)*[ \t]{0,3}#+ heading",
    "list": r"(?m)^[ \t]{0,3}- item",
}
HTML_MARKERS = ("<img", "<script", 'href="javascript')
REASON = "__bold__"  # a reason code is [A-Za-z0-9_.-]+: this one would be bold in Markdown
NAMES = {name: f"{name} {PAYLOAD}" for name in TEAM}
# Fields Streamlit shows as plain text (values, options of select widgets, code, table data): not Markdown.
PLAIN_FIELDS = {"id", "form_id", "default", "value", "raw_value", "raw_values", "placeholder", "code_text",
                "data", "type", "key", "json_args", "url", "file_id", "deltaPath", "page_script_hash"}
PLAIN_OPTIONS = {"selectbox", "multiselect"}
PLAIN_ELEMENTS = {"code", "arrow_data_frame", "dataframe", "text", "json", "text_area", "text_input"}


def _hostile_protocol(project: Project) -> None:
    path = project.protocol_path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["title"] = f"{PAYLOAD} {data['title']}"
    data["question"]["text"] = f"{BLOCK_PAYLOAD} {data['question']['text']}"
    for concept in data["concepts"]:
        concept["name"] = f"{concept['name']} {PAYLOAD}"
        concept["definition"] = f"{BLOCK_PAYLOAD} {concept['definition']}"
        concept["synonyms"] = [*concept.get("synonyms", []), f"{concept['name']} <i>x</i> **y**"]
    for criterion in data["inclusion"] + data["exclusion"]:
        criterion["text"] = f"{PAYLOAD} {criterion['text']}"
    data["exclusion"].append({"code": REASON, "text": BLOCK_PAYLOAD})
    for checklist in data["appraisal"]["checklists"]:
        checklist["title"] = f"{PAYLOAD} {checklist.get('title', '')}"
        for option in checklist["scale"]:
            option["label"] = f"{option['label']} {PAYLOAD}"
        for item in checklist["items"]:
            item["name"] = f"{item['name']} {PAYLOAD}"
            item["question"] = f"{PAYLOAD} {item['question']}"
            item["guidance"] = f"{BLOCK_PAYLOAD} {item.get('guidance', '')}"
    for field in data["extraction"]["fields"]:
        field["label"] = f"{field['label']} {PAYLOAD}"
        field["help"] = f"{BLOCK_PAYLOAD} {field.get('help', '')}"
        for option in field.get("options", []):
            option["description"] = f"{PAYLOAD} {option.get('description', '')}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _hostile_records_and_names(project: Project) -> None:
    # A record nobody has decided yet, so every reviewer's Screen page shows a hostile record card.
    add_manual_record(project, RecordIn(source_file="hand", source_position=1, title="co-production", year=2020,
                                        abstract="co-production with service users and staff."),
                      source=PAYLOAD, source_type="citation", actor="lead")
    with project.session() as session:
        for record in session.scalars(select(Record)):
            record.source_id = f"{PAYLOAD} {record.source_id}"
            record.title = f"{PAYLOAD} {record.title or ''}"
            record.abstract = f"{BLOCK_PAYLOAD} co-production with service users. {record.abstract or ''}"
            record.authors = f"{PAYLOAD}; {record.authors or ''}"
            record.journal = f"{PAYLOAD} {record.journal or ''}"
        for reviewer in session.scalars(select(Reviewer)):
            reviewer.name = NAMES[reviewer.name]
            reviewer.name_key = reviewer_key(reviewer.name)


def _hostile_work(project: Project, ids: dict[str, int], hand: int) -> None:
    ann, bob, lead = NAMES["ann"], NAMES["bob"], NAMES["lead"]
    # A fresh conflict with payload notes and the payload reason, at both stages.
    for stage in (TA, FT):
        decide(project, ann, ids[DOIS[1]], "include", stage, note=BLOCK_PAYLOAD)
        decide(project, bob, ids[DOIS[1]], "exclude", stage, reasons=[REASON], note=BLOCK_PAYLOAD)
    with project.session() as session:
        record_consensus(session, record_id=ids[DOIS[5]], stage=TA, decision="include", recorded_by=lead,
                         note=BLOCK_PAYLOAD, replace=True)
    attach_pdf(project, ids[DOIS[0]], study_pdf(DOIS[0]), f"{PAYLOAD}.pdf", actor=lead)
    mark_not_retrieved(project, ids[DOIS[3]], BLOCK_PAYLOAD, actor=lead)
    for advisor in (NAMES["ada"], NAMES["ben"]):  # views beside the contested full text
        assign_to_advisors(project, {advisor: [ids[DOIS[1]]]}, actor=lead)
        record_view(project, advisor=advisor, record_id=ids[DOIS[1]], view="exclude", reason=REASON,
                    note=BLOCK_PAYLOAD)
    protocol = project.load_protocol()
    save_extraction(project, protocol.extraction, extractor=ann, record_id=hand,
                    values={"country": PAYLOAD, "provision": PAYLOAD, "participants": "24", "ladder": "co-delivery",
                            "spectrum": "devolve", "people_involved": ["staff"]})


def _import_messages(project: Project) -> list[tuple[bool, str]]:
    """A good file and a broken one, both named with payloads; the broken one's error quotes its line."""
    good = (Path(__file__).parent / "fixtures" / "imports" / "ovid_medline.ris").read_bytes()
    broken = f"{PAYLOAD}\nTY  - JOUR\nTI  - fine\nER  - \n".encode()
    return import_uploads(project, [(f"{PAYLOAD} good.ris", good), (f"{PAYLOAD} broken.ris", broken)],
                          actor=NAMES["lead"])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("hostile")
    project, ids, hand = complete_review(root / "review")
    _hostile_protocol(project)
    _hostile_records_and_names(project)
    _hostile_work(project, ids, hand)
    messages = _import_messages(project)
    project.close()
    return root / "review", messages, {"Full texts": ("ft_record", ids[DOIS[3]]),
                                        "Contested": ("contested_record", ids[DOIS[1]])}


def _strings(message: Message, path: str = ""):  # type: ignore[no-untyped-def]
    for field, value in message.ListFields():
        values = [value] if isinstance(value, (str, bytes, int, float, Message)) else list(value)  # repeated
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item, f"{path}.{field.name}")
            elif isinstance(item, str):
                yield field.name, item


def _code_spans_removed(text: str) -> str:
    return re.sub(r"(`+)(.+?)\1", " ", text, flags=re.S)


def unescaped(text: str) -> list[str]:
    """The payload meanings ``text`` holds outside code spans (see MARKERS)."""
    text = _code_spans_removed(text)
    return [name for name, pattern in MARKERS.items() if re.search(pattern, text)]


def offending(at) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(element type, field, text) for every Markdown string with an unescaped payload or HTML with a raw tag."""
    found: list[tuple[str, str, str]] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if isinstance(proto, Message) and kind not in PLAIN_ELEMENTS:
            for field, text in _strings(proto):
                if kind == "html":
                    if field == "body" and any(tag in text for tag in HTML_MARKERS):
                        found.append((kind, field, text))
                    continue
                if field in PLAIN_FIELDS or (field == "options" and kind in PLAIN_OPTIONS):
                    continue
                if unescaped(text):
                    found.append((kind, field, text))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def test_the_marker_check_sees_raw_payloads_and_passes_escaped_ones():
    from screening.app.escape import md, md_code

    assert set(unescaped(f"{BLOCK_PAYLOAD} {REASON}")) == set(MARKERS)
    assert unescaped(md(BLOCK_PAYLOAD)) == [] and unescaped(f"id {md_code(PAYLOAD)}") == []


@pytest.mark.parametrize("text", [BLOCK_PAYLOAD, "1. first", "> quoted", "ann@example.org www.evil.com", "a | b",
                                  "&lt;b&gt; & co", "~~gone~~ \\* \\`"])
def test_escaped_text_renders_as_itself_in_commonmark(text):
    """An independent renderer (markdown-it, CommonMark with raw HTML on) shows md(text) as the text itself."""
    import html

    from markdown_it import MarkdownIt

    from screening.app.escape import md

    rendered = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(md(text))
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n") and "<" not in rendered[3:-5], rendered
    assert html.unescape(rendered[3:-5]) == text.replace("\n", " ")


def _open_as(project_dir: Path, name: str, monkeypatch):  # type: ignore[no-untyped-def]
    at = open_app(project_dir, monkeypatch)
    at.selectbox(key="local_name").set_value(name)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _wait_for_ranking(at, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    """Re-run the Screen page until the ranker is ready, so the concept bars and their sentences show."""
    deadline = time.monotonic() + seconds
    while not any("Ranked by" in c.value for c in at.caption) and time.monotonic() < deadline:
        if any("queue is empty" in s.value for s in at.success):
            return
        time.sleep(0.5)
        at.run()


@pytest.mark.parametrize("who", ["lead", "ann", "ada"])
def test_no_page_renders_a_payload_from_a_file_or_a_person(hostile, who, tmp_path, monkeypatch):
    source, messages, chosen = hostile
    project_dir = tmp_path / "review"
    shutil.copytree(source, project_dir)
    assert [ok for ok, _ in messages] == [True, False] and PAYLOAD.split()[0] in messages[1][1]
    name = NAMES[who]
    at = _open_as(project_dir, name, monkeypatch)
    problems: dict[str, list] = {}
    pages = list(pages_for(User(name, TEAM[who])))
    for stage in (TA, FT):
        at.sidebar.selectbox(key="stage").set_value(stage).run()
        for page in pages:
            if page == "Project":  # the messages of the last import, as the Import button leaves them
                at.session_state["import_messages"] = messages
            go(at, page)
            if page == "Screen":
                _wait_for_ranking(at)
            if page in chosen and at.selectbox(key=chosen[page][0]) is not None:  # the record with payloads
                at.selectbox(key=chosen[page][0]).set_value(chosen[page][1]).run()
            found = offending(at)
            if found:
                problems[f"{stage}/{page}"] = found
    assert not problems, problems
