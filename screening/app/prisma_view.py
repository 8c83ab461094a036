"""The PRISMA 2020 flow on the Progress page: the diagram from the database, its downloads, and the
consistency problems when the counts do not add up yet (then the diagram is only shown as a draft)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from screening.app.context import Context
from screening.app.escape import md, md_list
from screening.app.tables import show_table
from screening.prisma.checks import check_flow
from screening.prisma.counts import prisma_flow
from screening.prisma.diagram import render_flow
from screening.store.settings import blind_mode

MIME = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def prisma_section(ctx: Context) -> None:
    st.subheader("PRISMA 2020 flow")
    with ctx.project.session() as session:
        blind = blind_mode(session)
    if blind and not ctx.user.can_resolve:  # counts such as 'awaiting an outcome' reflect others' decisions
        st.caption("While blind mode is on, the PRISMA flow is shown to the lead and the advisory group.")
        return
    st.caption("PRISMA's *records screened* are the records with a title/abstract outcome (every required "
               "decision in and agreed, or a consensus); the Screened figure above also counts records still "
               "awaiting one.")
    flow = prisma_flow(ctx.project, ctx.protocol)
    checks = check_flow(flow)
    fields = flow.fields()
    for note in checks.notes:
        st.caption(md(note))
    title = None
    if not checks.consistent:
        st.warning("The counts do not add up yet, so this is not a diagram to publish:\n\n"
                   + md_list(checks.problems))
        if not st.toggle("Show a draft diagram anyway", key="prisma_draft"):
            _fields_table(fields)
            return
        title = "DRAFT - the counts do not add up yet"
    png = render_flow(flow, "png", title)
    st.image(png, caption="PRISMA 2020 flow diagram (drawn from the project's database)")
    cols = st.columns(4)
    stem = f"{ctx.project.path.name}_prisma"
    for col, fmt in zip(cols, ("svg", "png", "pdf"), strict=False):
        col.download_button(f"Download {fmt.upper()}", data=lambda fmt=fmt: render_flow(flow, fmt, title),
                            file_name=f"{stem}.{fmt}", mime=MIME[fmt], key=f"prisma_{fmt}",
                            on_click="ignore")  # why: pages/progress.py
    cols[3].download_button("Download JSON", json.dumps(fields, indent=2, ensure_ascii=False),
                            file_name=f"{stem}.json", mime="application/json", key="prisma_json",
                            help="Field names of the PRISMA2020 R package's template", on_click="ignore")
    _fields_table(fields)


def _fields_table(fields: dict) -> None:
    with st.expander("Counts (PRISMA2020 field names)"):
        show_table(pd.DataFrame({"field": list(fields), "value": [str(v) for v in fields.values()]}),
                     hide_index=True, width="content")
