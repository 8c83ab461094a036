"""The full text beside the record on the Screen page: the PDF, its text with concept terms marked, or
why there is none, and a quick way to attach it. Called from screen.py with one line; does nothing at
title/abstract."""

from __future__ import annotations

import streamlit as st

from screening.app.context import Context
from screening.app.escape import html_text, md
from screening.app.highlight import concept_colours, highlight_html
from screening.fulltext.pdf_text import PdfError
from screening.fulltext.reports import ReportError, attach_pdf, full_text_of
from screening.fulltext.storage import StorageError

STAGE = "full_text"
HIGHLIGHT_CHARS = 60_000  # concept marking of the first ~15 pages; the PDF tab shows everything
TEXT_STYLE = "max-height:640px;overflow-y:auto;white-space:pre-wrap;font-size:.92rem;line-height:1.5;" \
             "border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem"


def marked_text_html(text: str, ctx: Context) -> str:
    """The extracted text, escaped, with the protocol's concept terms marked (as the abstract is)."""
    shown = text[:HIGHLIGHT_CHARS]
    spans: list[tuple[int, int, str]] = []
    colours: dict[str, str] = {}
    if ctx.protocol is not None and ctx.protocol.concepts:
        from screening.rank.api import highlight_spans

        spans = highlight_spans(shown, ctx.protocol)
        colours = concept_colours([c.name for c in ctx.protocol.concepts])
    more = "" if len(text) <= HIGHLIGHT_CHARS else "\n\n… (the rest is in the PDF tab)"
    return f'<div style="{TEXT_STYLE}">{highlight_html(shown, spans, colours)}{html_text(more)}</div>'


def _attach(ctx: Context, record_id: int) -> None:
    upload = st.session_state.get(f"ft_upload_{record_id}")
    if upload is None:
        st.session_state["ft_panel_error"] = "Choose a PDF first."
        return
    try:
        attached = attach_pdf(ctx.project, record_id, upload.getvalue(), upload.name, actor=ctx.user.name)
    except (PdfError, ReportError, StorageError) as error:
        st.session_state["ft_panel_error"] = str(error)
    else:
        st.session_state["ft_panel_flash"] = attached.describe(upload.name)


def show_full_text(ctx: Context, record_id: int, uploads: bool = True) -> None:
    """The record's report: PDF and marked text in tabs, 'not retrieved' with its reason, or an uploader."""
    for key, show in (("ft_panel_flash", st.success), ("ft_panel_error", st.error)):
        message = st.session_state.pop(key, None)
        if message:
            show(md(message))
    try:
        text, pdf, report = full_text_of(ctx.project, record_id)
    except StorageError as error:
        st.error(md(str(error)))
        return
    if report is not None and report.status == "not_retrieved":
        st.warning(f"Report not retrieved: {md(report.reason or '')} (recorded by "
                   f"{md(report.actor)})")
    elif pdf is not None:
        st.caption(f"Full text: {md(report.original_name or '')} · {report.n_pages} pages"
                   + (f" · {md(report.note)}" if report.note else ""))
        pdf_tab, text_tab = st.tabs(["PDF", "Text with concepts marked"])
        with pdf_tab:
            st.pdf(pdf, height=720, key=f"ft_pdf_{record_id}")
        with text_tab:
            st.html(marked_text_html(text, ctx) if text else "<i>This PDF has no text layer.</i>")
    else:
        st.info("No full text attached yet.")
    if uploads:
        with st.expander("Attach or replace the PDF", expanded=pdf is None):
            st.file_uploader("Report PDF", type=["pdf"], key=f"ft_upload_{record_id}")
            st.button("Attach", key=f"ft_attach_{record_id}", on_click=_attach, args=(ctx, record_id))


def full_text_panel(ctx: Context, record_id: int) -> None:
    """The Screen page's hook: at full text, the report under the record card."""
    if ctx.stage != STAGE:
        return
    st.subheader("Full text")
    show_full_text(ctx, record_id)
