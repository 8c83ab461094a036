"""Progress: recall curve so far, stopping rules, the PRISMA 2020 flow diagram and exports."""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from screening.app.context import STAGE_LABELS, Context
from screening.app.prisma_view import prisma_section
from screening.app.progress_estimates import live_stopping_status, screening_order
from screening.app.stopping_panel import stopping_section
from screening.app.tables import show_table
from screening.decisions.export import export_project
from screening.decisions.status import project_status
from screening.store.settings import blind_mode

EXPORTS = {"csv": ("CSV (all decisions)", "text/csv", "csv"),
           "xlsx": ("Excel (all decisions)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx"),
           "ris": ("RIS", "application/x-research-info-systems", "ris"),
           "asreview": ("ASReview CSV", "text/csv", "csv")}


def _export_bytes(ctx: Context, fmt: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"export.{EXPORTS[fmt][2]}"
        export_project(ctx.project, fmt, out)
        return out.read_bytes()


def _curve(ctx: Context) -> None:
    ordered, n_records = screening_order(ctx.project, ctx.stage, viewer=ctx.user.name)
    if ordered.size == 0:
        st.info("No decisions yet at this stage.")
        return
    curve = pd.DataFrame({"screened": np.arange(1, ordered.size + 1), "includes found": np.cumsum(ordered)})
    chart = alt.Chart(curve).mark_line(interpolate="step-after").encode(
        x=alt.X("screened", title="Records screened", scale=alt.Scale(domain=[0, n_records])),
        y=alt.Y("includes found", title="Includes found"))
    st.altair_chart(chart, width="stretch")
    stopping_section(ctx)
    status = live_stopping_status(ctx.project, ctx.stage, viewer=ctx.user.name)
    if status is None:
        return
    with st.expander("Other stopping rules (for comparison)"):
        st.caption(f"Screened {status.n_screened} / {status.n_records}, includes found {status.n_found}. "
                   f"{status.explanation} Knee rule: {'may stop' if status.knee_stop else 'keep screening'} "
                   f"(slope ratio {status.knee_ratio:.1f}; needs at least 150 screened; a heuristic).")


def render(ctx: Context) -> None:
    st.header("Progress")
    st.subheader(f"Recall so far ({STAGE_LABELS[ctx.stage]})")
    _curve(ctx)
    prisma_section(ctx)
    status = project_status(ctx.project, viewer=ctx.user.name)
    with ctx.project.session() as session:
        blind = blind_mode(session)
    if ctx.user.can_resolve or not blind:
        stage = status["stages"][ctx.stage]
        st.caption(f"Conflicts open: {stage['conflicts']} · awaiting more decisions: {stage['in_progress']}")
        show_table(pd.Series(stage["by_reviewer"], name="decisions").rename_axis("reviewer").reset_index(),
                   hide_index=True, width="content")
    if ctx.user.is_lead:
        st.subheader("Export")
        cols = st.columns(len(EXPORTS))
        for col, (fmt, (label, mime, suffix)) in zip(cols, EXPORTS.items(), strict=True):
            col.download_button(label, data=lambda fmt=fmt: _export_bytes(ctx, fmt), mime=mime,
                                file_name=f"{ctx.project.path.name}_{fmt}.{suffix}", key=f"export_{fmt}")
