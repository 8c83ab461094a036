"""Free tags on records and each reviewer's own highlight words (as in Rayyan), append-only and audited.

Tags are personal: a reviewer sees their own tags; leads and advisory-group members see everyone's (a
blind reviewer must not learn how another leans on an unresolved record from a tag like "probably out").
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from screening.decisions.reviewers import ReviewerError, get_reviewer
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import RecordTag, ReviewerKeywords
from screening.store.schema import Record

TAG_MAX = 64
KEYWORD_KINDS = ("include", "exclude")
MAX_KEYWORDS = 200


class TagError(ValueError):
    """A tag or keyword list that cannot be stored; the message says why."""


def clean_tag(tag: str) -> str:
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(tag or ""))).strip()
    if not text:
        raise TagError("a tag cannot be empty")
    if len(text) > TAG_MAX or "\0" in text:
        raise TagError(f"a tag holds at most {TAG_MAX} characters and no NUL")
    return text


def set_tags(project: Project, reviewer: str, record_id: int, tags: list[str]) -> list[str]:
    """Make ``tags`` the reviewer's tags on the record (rows for those added and removed); returns them."""
    wanted = list(dict.fromkeys(clean_tag(t) for t in tags))
    with project.session() as session:
        who = get_reviewer(session, reviewer)
        if session.get(Record, record_id) is None:
            raise TagError(f"unknown record id {record_id}")
        have = _current(session, record_id=record_id, reviewer_id=who.id).get(record_id, [])
        changes = [(t, True) for t in wanted if t not in have] + [(t, False) for t in have if t not in wanted]
        for tag, added in changes:
            session.add(RecordTag(record_id=record_id, reviewer_id=who.id, tag=tag, added=added))
        if changes:
            audit(session, who.name, "set_tags", "records", record_id, {"tags": have}, {"tags": wanted})
    return wanted


def _current(session, record_id: int | None = None, reviewer_id: int | None = None) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    query = select(RecordTag.record_id, RecordTag.reviewer_id, RecordTag.tag, RecordTag.added).order_by(RecordTag.id)
    if record_id is not None:
        query = query.where(RecordTag.record_id == record_id)
    if reviewer_id is not None:
        query = query.where(RecordTag.reviewer_id == reviewer_id)
    state: dict[tuple[int, int, str], bool] = {}
    for rid, who, tag, added in session.execute(query):
        state[(rid, who, tag)] = added
    tags: dict[int, list[str]] = {}
    for (rid, _, tag), added in state.items():
        if added and tag not in tags.setdefault(rid, []):
            tags[rid].append(tag)
    return tags


def visible_tags(project: Project, viewer: str) -> dict[int, list[str]]:
    """Record id -> tags the viewer may see: their own; a lead's or advisor's view has everyone's."""
    with project.session() as session:
        who = get_reviewer(session, viewer)
        everyone = who.role in ("lead", "advisor")
        return _current(session, reviewer_id=None if everyone else who.id)


def own_tags(project: Project, reviewer: str, record_id: int) -> list[str]:
    with project.session() as session:
        who = get_reviewer(session, reviewer)
        return _current(session, record_id=record_id, reviewer_id=who.id).get(record_id, [])


def set_keywords(project: Project, reviewer: str, kind: str, terms: list[str]) -> list[str]:
    """Store the reviewer's highlight words of ``kind`` (include / exclude); returns them, cleaned."""
    if kind not in KEYWORD_KINDS:
        raise TagError(f"keyword kind must be one of {', '.join(KEYWORD_KINDS)}, got '{kind}'")
    cleaned = list(dict.fromkeys(clean_tag(t) for t in terms if str(t or "").strip()))
    if len(cleaned) > MAX_KEYWORDS:
        raise TagError(f"at most {MAX_KEYWORDS} words of each kind")
    with project.session() as session:
        who = get_reviewer(session, reviewer)
        session.add(ReviewerKeywords(reviewer_id=who.id, kind=kind, terms="\n".join(cleaned)))
        audit(session, who.name, "set_keywords", "reviewers", who.id, None, {"kind": kind, "terms": cleaned})
    return cleaned


def keywords(project: Project, reviewer: str) -> dict[str, list[str]]:
    """The reviewer's own highlight words per kind (nobody else's: they are personal)."""
    with project.session() as session:
        try:
            who = get_reviewer(session, reviewer)
        except ReviewerError:
            return {kind: [] for kind in KEYWORD_KINDS}
        rows = session.execute(select(ReviewerKeywords.kind, ReviewerKeywords.terms)
                               .where(ReviewerKeywords.reviewer_id == who.id).order_by(ReviewerKeywords.id)).all()
    newest = {kind: terms for kind, terms in rows}
    return {kind: [t for t in (newest.get(kind) or "").split("\n") if t] for kind in KEYWORD_KINDS}


def keyword_spans(text: str | None, words: dict[str, list[str]]) -> list[tuple[int, int, str]]:
    """(start, end, "your include word" / "your exclude word") for each whole-word, case-blind match."""
    spans: list[tuple[int, int, str]] = []
    for kind, terms in words.items():
        for term in terms:
            for match in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text or "", flags=re.IGNORECASE):
                spans.append((match.start(), match.end(), f"your {kind} word"))
    return spans

