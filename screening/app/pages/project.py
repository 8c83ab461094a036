"""Project: import files (same code and messages as `screening import`), duplicates, and the protocol."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from screening.app.context import Context
from screening.app.manual_record_form import manual_record_form
from screening.dedup.service import current_report, list_groups, run_dedup, undo_group
from screening.protocol.errors import ProtocolError
from screening.records.errors import ImportFormatError
from screening.records.service import import_file
from screening.store.records_table import records_frame

IMPORT_DIR = "imports"


def _import_uploads(ctx: Context) -> None:
    uploads = st.session_state.get("import_files") or []
    messages: list[tuple[bool, str]] = []
    folder = ctx.project.path / IMPORT_DIR
    folder.mkdir(exist_ok=True)
    for upload in uploads:
        path = folder / Path(upload.name).name  # never trust a client path
        path.write_bytes(upload.getvalue())
        try:
            messages.append((True, import_file(ctx.project, path, actor=ctx.user.name).describe()))
        except (ImportFormatError, FileNotFoundError) as error:
            messages.append((False, f"error: {error}"))
    st.session_state["import_messages"] = messages


def _imports(ctx: Context) -> None:
    st.subheader("Import records")
    st.file_uploader("RIS, CSV/TSV/XLSX, BibTeX or MEDLINE exports", accept_multiple_files=True,
                     key="import_files")
    st.button("Import", on_click=_import_uploads, args=(ctx,), key="import_button")
    for ok, message in st.session_state.pop("import_messages", []):
        (st.success if ok else st.error)(message)


def _run_dedup(ctx: Context) -> None:
    report = run_dedup(ctx.project, actor=ctx.user.name)
    st.session_state["dedup_message"] = (f"Found {report.groups} duplicate groups: {report.duplicates_removed} "
                                         f"duplicates removed, {report.unique} unique records.")


def _undo_group(ctx: Context, group_id: int) -> None:
    undo_group(ctx.project, group_id, actor=ctx.user.name)
    st.session_state["dedup_message"] = f"Group {group_id} split: its records will not be grouped again."


def _duplicates(ctx: Context) -> None:
    st.subheader("Duplicates")
    report = current_report(ctx.project)
    st.caption(f"{report.identified} records identified · {report.duplicates_removed} duplicates removed · "
               f"{report.unique} unique · {report.groups} groups")
    if ctx.user.is_lead:
        st.button("Find duplicates", key="run_dedup", on_click=_run_dedup, args=(ctx,))
    message = st.session_state.pop("dedup_message", None)
    if message:
        st.success(message)
    groups = list_groups(ctx.project)
    if not groups:
        return
    records = records_frame(ctx.project, include_duplicates=True).set_index("id")
    for group in groups:
        with st.expander(f"Group {group.group_id}: {(group.kept_title or '(no title)')[:100]}"):
            members = records.loc[[group.kept_id] + [rid for rid, _ in group.duplicates]]
            members = members.assign(kept=[True] + [False] * len(group.duplicates))
            st.dataframe(members[["kept", "source_id", "title", "authors", "year", "doi", "source_file"]],
                         hide_index=True, width="stretch")
            if ctx.user.is_lead:
                st.button("Not duplicates: split this group", key=f"undo_group_{group.group_id}",
                          on_click=_undo_group, args=(ctx, group.group_id))


def _validate(text: str, name: str):  # type: ignore[no-untyped-def]
    """Validate protocol text exactly as load_protocol would, naming the project's protocol file."""
    from screening.protocol.markdown_criteria import parse_markdown_protocol
    from screening.protocol.yaml_protocol import parse_yaml_protocol

    parse = parse_markdown_protocol if name.lower().endswith((".md", ".markdown")) else parse_yaml_protocol
    return parse(text, name)


def _protocol(ctx: Context) -> None:
    st.subheader("Protocol")
    path = ctx.project.protocol_path
    if path is None:
        st.info("This project has no protocol file; create it with `screening init --protocol FILE`.")
        return
    if ctx.protocol is not None:
        with st.expander("Concepts and criteria", expanded=not ctx.user.is_lead):
            st.markdown(f"**{ctx.protocol.title}** — {ctx.protocol.question.text}")
            for concept in ctx.protocol.concepts:
                st.markdown(f"- **{concept.name}**: {concept.definition}")
            for criterion in ctx.protocol.inclusion + ctx.protocol.exclusion:
                st.markdown(f"- `{criterion.code}` {criterion.text}")
    if not ctx.user.is_lead:
        return
    text = st.text_area(f"Edit `{path.name}`", value=path.read_text(encoding="utf-8"), height=360,
                        key="protocol_text")
    if st.button("Validate and save", key="protocol_save"):
        try:
            _validate(text, str(path))
        except ProtocolError as error:
            st.error(f"{error.file}: the protocol was not saved")
            for problem in error.problems:
                st.markdown(f"- {problem}")
        else:
            path.write_text(text, encoding="utf-8")
            st.success("Protocol saved; rankings use it from the next record on.")


def render(ctx: Context) -> None:
    st.header("Project")
    st.caption(f"`{ctx.project.path}`")
    if ctx.user.is_lead:
        _imports(ctx)
    manual_record_form(ctx)
    _duplicates(ctx)
    _protocol(ctx)
