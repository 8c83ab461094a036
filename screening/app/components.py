"""Building blocks shared by pages: the record card (escaped, highlighted) and concept match bars."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from screening.app.escape import html_text, md
from screening.app.highlight import MARK_TEXT, concept_colours, highlight_html
from screening.protocol.schema import Protocol
from screening.store.project import Project
from screening.store.schema import Record

CARD_STYLE = "font-size:1.02rem;line-height:1.6;max-width:60rem"


def load_record(project: Project, record_id: int) -> dict:
    """The record's fields as a plain dict (detached from the session)."""
    with project.session() as session:
        row = session.get(Record, record_id)
        if row is None:
            raise LookupError(f"unknown record id {record_id}")
        return {c: getattr(row, c) for c in ("id", "source_id", "title", "abstract", "authors", "year",
                                             "journal", "doi", "pmid", "keywords")}


def _spans(text: str | None, protocol: Protocol | None) -> list[tuple[int, int, str]]:
    if not text or protocol is None or not protocol.concepts:
        return []
    from screening.rank.api import highlight_spans

    return highlight_spans(text, protocol)


def _authors_line(authors: str | None, limit: int = 6) -> str:
    names = [a for a in (authors or "").split("; ") if a]
    shown = ", ".join(names[:limit])
    return shown + (f" … (+{len(names) - limit})" if len(names) > limit else "")


# A reviewer's own highlight words, beside the concept colours (strong green / red, not in the palette).
KEYWORD_COLOURS = {"your include word": "#7fd48f", "your exclude word": "#ff9d9d"}


def record_card_html(record: Mapping, protocol: Protocol | None, words: Mapping[str, list[str]] | None = None) -> str:
    """Title, authors, year, journal, DOI and the abstract, every field escaped, concept terms marked, and
    the reviewer's own include / exclude words (``words``) in their colours."""
    from screening.decisions.tags import keyword_spans

    colours = concept_colours([c.name for c in protocol.concepts]) if protocol else {}
    if words and any(words.values()):
        colours.update({f"your {kind} word": KEYWORD_COLOURS[f"your {kind} word"] for kind, terms in words.items()
                        if terms})

    def spans(text: str | None) -> list[tuple[int, int, str]]:
        return keyword_spans(text, dict(words or {})) + _spans(text, protocol)

    title = highlight_html(record.get("title") or "(no title)", spans(record.get("title")), colours)
    meta = [html_text(_authors_line(record.get("authors")))]
    if record.get("year"):
        meta.append(html_text(str(record["year"])))
    if record.get("journal"):
        meta.append(f"<i>{html_text(record['journal'])}</i>")
    doi = record.get("doi")
    if doi:
        meta.append(f'doi: <a href="https://doi.org/{html_text(doi)}" target="_blank" '
                    f'rel="noopener noreferrer">{html_text(doi)}</a>')
    abstract = record.get("abstract")
    body = (highlight_html(abstract, spans(abstract), colours) if abstract
            else "<i>No abstract available.</i>")
    legend = " ".join(
        f'<mark style="background:{colour};color:{MARK_TEXT};padding:0 4px;border-radius:3px">{html_text(name)}</mark>'
        for name, colour in colours.items()
    )
    return (
        f'<div style="{CARD_STYLE}">'
        f'<h3 style="margin:0 0 .3rem 0">{title}</h3>'
        f'<div style="opacity:.75;font-size:.9rem;margin-bottom:.8rem">{" · ".join(m for m in meta if m)}</div>'
        f'<div class="abstract">{body}</div>'
        + (f'<div style="margin-top:.8rem;font-size:.8rem;opacity:.7">Marked: {legend}</div>' if legend else "")
        + "</div>"
    )


def record_card(record: Mapping, protocol: Protocol | None, words: Mapping[str, list[str]] | None = None) -> None:
    st.html(record_card_html(record, protocol, words))


# Decision badges as coloured text, not emoji: Debian's Chromium has no colour-emoji font and draws boxes.
BADGE_COLOURS = {"include": "#b9e4c9", "exclude": "#f6c1a6", "maybe": "#ffe08a", "unsure": "#ffe08a"}


def decision_badge(decision: str) -> str:
    """HTML for a decision (include / exclude / maybe, or an advisory view) as a coloured label."""
    colour = BADGE_COLOURS.get(decision, "#cfd8dc")
    return (f'<span style="background:{colour};color:#1a1a1a;border-radius:4px;padding:0 6px;font-weight:600">'
            f"{html_text(decision)}</span>")


def reason_label(protocol: Protocol | None):  # type: ignore[no-untyped-def]
    """Format for a reason-code option: which decision it fits, the code and the criterion's text."""
    kinds = {c.code: ("include", c.text) for c in protocol.inclusion} if protocol else {}
    kinds.update({c.code: ("exclude", c.text) for c in protocol.exclusion} if protocol else {})
    return lambda code: (f"{kinds[code][0]} · {code} — {kinds[code][1]}" if code in kinds else str(code))


CONCEPT_BARS_HELP = ("Each bar: how well this record matches the concept compared with the other records of this "
                     "review, as a percentile (100 = matches as well as the best; 50 = better than half). It is "
                     "the same scale whichever encoder ranks the queue; the raw similarity is in brackets. "
                     "Computed from the protocol's definitions alone, not from anyone's decisions.")


def concept_bars(scores: Mapping[str, float], sentences: Mapping[str, str],
                 percentiles: Mapping[str, float]) -> None:
    """One bar per concept (percentile of the match within the review) with the sentence that matched best."""
    st.caption("Concept match, percentile in this review", help=CONCEPT_BARS_HELP)
    for concept, score in scores.items():
        share = float(min(max(percentiles.get(concept, 0.0), 0.0), 1.0))
        st.progress(share, text=f"**{md(concept)}** · percentile {100 * share:.0f} (similarity {score:.2f})")
        sentence = sentences.get(concept)
        if sentence:
            st.caption(f"“{md(sentence)}”")
