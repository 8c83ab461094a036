"""Extraction: the protocol's form for each included study (text, number and choice fields, the scored
ladder of co-production among them), and the table of included studies sorted by total score."""

from __future__ import annotations

import io

import streamlit as st

from screening.app.components import load_record
from screening.app.context import Context
from screening.app.escape import md
from screening.app.tables import show_table
from screening.appraisal.scores import included_at_full_text
from screening.extraction.export import SORT_COLUMNS, export_included, included_studies
from screening.extraction.form import ExtractionError, extraction_form
from screening.extraction.store import current_values, save_extraction
from screening.protocol.review_forms import ExtractionField, ExtractionForm


def _option_label(field: ExtractionField):  # type: ignore[no-untyped-def]
    def label(value: str | None) -> str:
        if value is None:
            return "(not extracted)"
        option = field.option(value)
        score = f" ({option.score:g})" if option.score is not None else ""
        return f"{value}{score}" + (f" — {option.description}" if option.description else "")
    return label


def _widget(field: ExtractionField, key: str, value: object) -> None:
    label = md(field.label) + (" \\*" if field.required else "")
    help_text = md(field.help) if field.help else None
    if field.type == "choice":
        values = [o.value for o in field.options]
        if field.multiple:
            st.multiselect(label, values, default=value or [], key=key, help=help_text)
        else:
            options = [None, *values]
            st.selectbox(label, options, index=options.index(value) if value in options else 0, key=key,
                         format_func=_option_label(field), help=help_text)
    else:
        st.text_input(label, value="" if value is None else str(value), key=key, help=help_text)


def _save(ctx: Context, form: ExtractionForm, record_id: int) -> None:
    values = {f.name: st.session_state.get(f"ext_{record_id}_{f.name}") for f in form.fields}
    try:
        save_extraction(ctx.project, form, extractor=ctx.user.name, record_id=record_id, values=values)
    except ExtractionError as error:
        st.session_state["ext_messages"] = [(False, str(error))]
    else:
        st.session_state["ext_messages"] = [(True, "Extraction saved.")]


def _table(ctx: Context) -> None:
    st.subheader("Included studies")
    sort_by = st.selectbox("Sort by", SORT_COLUMNS, key="ext_sort")
    try:
        table = included_studies(ctx.project, ctx.protocol, sort_by=sort_by)
    except ExtractionError as error:
        st.info(md(error))
        return
    show_table(table, hide_index=True, width="stretch")
    csv, xlsx = io.BytesIO(), io.BytesIO()
    export_included(table, "csv", csv)
    export_included(table, "xlsx", xlsx)
    cols = st.columns(2)
    cols[0].download_button("Download CSV", csv.getvalue(), file_name="included_studies.csv", mime="text/csv",
                            key="ext_csv", on_click="ignore")
    cols[1].download_button("Download XLSX", xlsx.getvalue(), file_name="included_studies.xlsx", key="ext_xlsx",
                            on_click="ignore",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def render(ctx: Context) -> None:
    st.header("Extraction")
    try:
        form = extraction_form(ctx.protocol)
    except ExtractionError as error:
        st.info(md(error))
        return
    for ok, message in st.session_state.pop("ext_messages", []):
        (st.success if ok else st.error)(md(message))
    studies = sorted(included_at_full_text(ctx.project))
    if not studies:
        st.info("No study is included at full text yet.")
        return
    record_id = st.selectbox("Study", studies, key="ext_record",
                             format_func=lambda r: load_record(ctx.project, r)["source_id"])
    saved = current_values(ctx.project, record_id)
    with st.form(f"ext_form_{record_id}"):
        for field in form.fields:
            _widget(field, f"ext_{record_id}_{field.name}", saved.get(field.name))
        st.form_submit_button("Save extraction", type="primary", on_click=_save, args=(ctx, form, record_id))
    _table(ctx)
