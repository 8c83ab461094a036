"""Project: import files (same code and messages as `screening import`), duplicates, and the protocol."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from screening.app.context import Context
from screening.app.escape import md, md_code, md_list
from screening.app.manual_record_form import manual_record_form
from screening.app.tables import show_table
from screening.app.uploads import import_uploads
from screening.dedup.service import current_report, list_groups, run_dedup, undo_group
from screening.protocol.errors import ProtocolError
from screening.protocol.load import MARKDOWN_SUFFIXES
from screening.protocol.versions import current_protocol_hash, protocol_versions, restore_protocol, save_protocol
from screening.store.records_table import records_frame
from screening.wording import plural


def _uploader_key() -> str:
    """A new key after each import empties the uploader, so the next Import does not send old files again."""
    generation = int(st.session_state.get("import_generation", 0))
    return "import_files" if generation == 0 else f"import_files-{generation}"


def _import_uploads(ctx: Context) -> None:
    """Each file is stored and imported on its own, then dedup runs on the whole project (undo below).

    The messages stay on the page until the next import; the uploader is emptied.
    """
    uploads = st.session_state.get(_uploader_key()) or []
    if not uploads:
        st.session_state["import_dedup"] = "Choose one or more files first."
        return
    messages = import_uploads(ctx.project, [(upload.name, upload.getvalue()) for upload in uploads],
                              actor=ctx.user.name)
    st.session_state["import_messages"] = messages
    st.session_state["import_dedup"] = _dedup_message(run_dedup(ctx.project, actor=ctx.user.name)) \
        if any(ok for ok, _ in messages) else None
    st.session_state["import_generation"] = int(st.session_state.get("import_generation", 0)) + 1


def _imports(ctx: Context) -> None:
    st.subheader("Import records")
    st.file_uploader("RIS, CSV/TSV/XLSX, BibTeX or MEDLINE exports", accept_multiple_files=True,
                     key=_uploader_key())
    st.button("Import", on_click=_import_uploads, args=(ctx,), key="import_button",
              help="Imports each file on its own, then looks for duplicates across the project (each group can "
                   "be split again under Duplicates).")
    for ok, message in st.session_state.get("import_messages", []):
        (st.success if ok else st.error)(md(message))
    if st.session_state.get("import_dedup"):
        st.info(md(st.session_state["import_dedup"]))


def _dedup_message(report) -> str:  # type: ignore[no-untyped-def]
    contested = (f" {len(report.needs_lead)} kept records had copies decided differently: settle them on the "
                 "Contested page." if report.needs_lead else "")
    return (f"Found {plural(report.groups, 'duplicate group')}: {plural(report.duplicates_removed, 'duplicate')} "
            f"removed, {plural(report.unique, 'unique record')}.{contested}")


def _run_dedup(ctx: Context) -> None:
    st.session_state["dedup_message"] = _dedup_message(run_dedup(ctx.project, actor=ctx.user.name))


def _undo_group(ctx: Context, group_id: int) -> None:
    undo_group(ctx.project, group_id, actor=ctx.user.name)
    st.session_state["dedup_message"] = f"Group {group_id} split: its records will not be grouped again."


def _duplicates(ctx: Context) -> None:
    st.subheader("Duplicates")
    report = current_report(ctx.project)
    st.caption(f"{plural(report.identified, 'record')} identified · "
               f"{plural(report.duplicates_removed, 'duplicate')} removed · "
               f"{report.unique} unique · {plural(report.groups, 'group')}")
    if ctx.user.is_lead:
        st.button("Find duplicates", key="run_dedup", on_click=_run_dedup, args=(ctx,))
    message = st.session_state.pop("dedup_message", None)
    if message:
        st.success(md(message))
    groups = list_groups(ctx.project)
    if not groups:
        return
    records = records_frame(ctx.project, include_duplicates=True).set_index("id")
    for group in groups:
        with st.expander(f"Group {group.group_id}: {md((group.kept_title or '(no title)')[:100])}"):
            members = records.loc[[group.kept_id] + [rid for rid, _ in group.duplicates]]
            members = members.assign(kept=[True] + [False] * len(group.duplicates))
            show_table(members[["kept", "source_id", "title", "authors", "year", "doi", "source_file"]],
                       hide_index=True, width="stretch")
            if ctx.user.is_lead:
                st.button("Not duplicates: split this group", key=f"undo_group_{group.group_id}",
                          on_click=_undo_group, args=(ctx, group.group_id))


def _save_protocol(ctx: Context) -> None:
    try:
        saved = save_protocol(ctx.project, st.session_state.get("protocol_text", ""), actor=ctx.user.name)
    except ProtocolError as error:
        st.session_state["protocol_problems"] = (error.file, error.problems)
        return
    st.session_state["protocol_message"] = (
        "No change: the protocol already has this text." if saved is None else
        f"Protocol saved as version {saved.id} ({saved.sha256[:12]}); rankings use it from the next record on.")


def _restore_protocol(ctx: Context) -> None:
    version_id = st.session_state.get("protocol_version")
    try:
        restored = restore_protocol(ctx.project, int(version_id), actor=ctx.user.name)
    except ProtocolError as error:
        st.session_state["protocol_problems"] = (error.file, error.problems)
        return
    st.session_state.pop("protocol_text", None)  # the editor shows the restored text on this run
    st.session_state["protocol_message"] = (
        "No change: the protocol already has this text." if restored is None else
        f"Version {version_id} restored as version {restored.id} ({restored.sha256[:12]}).")


def _protocol_history(ctx: Context) -> None:
    """Every kept version of the protocol (who saved it, when, its hash); the lead can restore one."""
    versions = protocol_versions(ctx.project)
    with st.expander(f"Protocol history ({len(versions)} versions)"):
        if not versions:
            st.caption("No edits yet: the first saved edit also keeps the version it replaces.")
            return
        in_force = current_protocol_hash(ctx.project)
        show_table(pd.DataFrame([{
            "version": v.id, "saved": v.saved_at, "by": v.saved_by, "how": v.origin,
            "restored from": v.restored_from, "sha256": v.sha256[:12], "in force": v.sha256 == in_force,
        } for v in versions]), hide_index=True, width="stretch")
        by_id = {v.id: v for v in versions}
        chosen = st.selectbox("Version", list(by_id), key="protocol_version",
                              format_func=lambda i: f"version {i} · {by_id[i].saved_at:%Y-%m-%d %H:%M} UTC")
        markdown = (ctx.project.protocol_path or Path()).suffix.lower() in MARKDOWN_SUFFIXES
        st.code(by_id[chosen].text, language="markdown" if markdown else "yaml")
        st.button("Restore this version", key="protocol_restore", on_click=_restore_protocol, args=(ctx,),
                  disabled=by_id[chosen].sha256 == in_force)


def _protocol_messages() -> None:
    problems = st.session_state.pop("protocol_problems", None)
    if problems is not None:
        file, listed = problems
        st.error(f"{md(file)}: the protocol was not saved")
        st.markdown(md_list(listed))
    message = st.session_state.pop("protocol_message", None)
    if message:
        st.success(md(message))


def _protocol(ctx: Context) -> None:
    st.subheader("Protocol")
    path = ctx.project.protocol_path
    if path is None:
        st.info("This project has no protocol file; create it with `screening init --protocol FILE`.")
        return
    if ctx.protocol is not None:
        with st.expander("Concepts and criteria", expanded=not ctx.user.is_lead):
            st.markdown(f"**{md(ctx.protocol.title)}** — {md(ctx.protocol.question.text)}")
            for concept in ctx.protocol.concepts:
                st.markdown(f"- **{md(concept.name)}**: {md(concept.definition)}")
            for criterion in ctx.protocol.inclusion + ctx.protocol.exclusion:
                st.markdown(f"- {md_code(criterion.code)} {md(criterion.text)}")
    if not ctx.user.is_lead:
        return
    _protocol_messages()
    st.text_area(f"Edit {md_code(path.name)}", value=path.read_text(encoding="utf-8"), height=360, key="protocol_text")
    st.button("Validate and save", key="protocol_save", on_click=_save_protocol, args=(ctx,))
    _protocol_history(ctx)


def render(ctx: Context) -> None:
    st.header("Project")
    st.caption(md_code(ctx.project.path))
    if ctx.user.is_lead:
        _imports(ctx)
    manual_record_form(ctx)
    _duplicates(ctx)
    _protocol(ctx)
