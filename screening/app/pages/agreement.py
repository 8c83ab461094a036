"""Agreement: per reviewer pair, overall, and each reviewer against the model's include prediction.

Numbers come from `screening.measures.agreement`; this page only arranges the decisions the viewer may
see (blind mode applies: a plain reviewer's numbers use resolved records and their own decisions).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from screening.app import ranking
from screening.app.context import Context
from screening.app.escape import md
from screening.app.tables import show_table
from screening.decisions.queries import current_decisions
from screening.measures.agreement import (
    PairAgreement,
    model_agreement,
    overall_agreement,
    pairwise_agreement,
)


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _help(reason: str | None) -> str | None:
    return None if reason is None else md(reason)


def pair_rows(pairs: list[PairAgreement]) -> pd.DataFrame:
    """One display row per pair; undefined statistics show as a dash with the reason in `notes`."""
    rows = []
    for pair in pairs:
        ci = pair.cohen_kappa_ci
        rows.append({
            "reviewers": " × ".join(pair.reviewers), "records": pair.n,
            "agreement": _fmt(pair.percent_agreement), "Cohen's κ": _fmt(pair.cohen_kappa),
            "κ 95% CI": f"{ci[0]:.2f} – {ci[1]:.2f}" if ci else "—",
            "PABAK": _fmt(pair.pabak), "Gwet's AC1": _fmt(pair.gwet_ac1),
            "notes": "; ".join(f"{k}: {v}" for k, v in pair.undefined.items()),
        })
    return pd.DataFrame(rows)


def _confusion(pair: PairAgreement) -> pd.DataFrame:
    first, second = pair.reviewers
    frame = pd.DataFrame(pair.confusion).T
    frame.index = [f"{first}: {c}" for c in frame.index]
    frame.columns = [f"{second}: {c}" for c in frame.columns]
    return frame


def render(ctx: Context) -> None:
    st.header("Agreement")
    decisions = current_decisions(ctx.project, ctx.stage, viewer=ctx.user.name)
    if decisions.empty:
        st.info("No decisions yet at this stage.")
        return
    if not ctx.user.can_resolve:
        st.caption("Blind mode: computed from your own decisions and records already resolved.")

    st.subheader("Reviewer pairs")
    pairs = pairwise_agreement(decisions)
    if pairs:
        show_table(pair_rows(pairs), hide_index=True, width="stretch", key="pairs_table")
        for pair in pairs:
            with st.expander(f"Confusion table: {md(' × '.join(pair.reviewers))}"):
                show_table(_confusion(pair), width="content")
    else:
        st.info("No two reviewers have decided the same record yet.")

    st.subheader("Overall")
    overall = overall_agreement(decisions)
    cols = st.columns(3)
    cols[0].metric("Krippendorff's α", _fmt(overall.krippendorff_alpha),
                   help=_help(overall.undefined.get("krippendorff_alpha")))
    cols[1].metric("Fleiss' κ", _fmt(overall.fleiss_kappa), help=_help(overall.undefined.get("fleiss_kappa")))
    cols[2].metric("Records with ≥2 decisions", overall.n_records)

    st.subheader("Reviewers vs the model")
    predictions = ranking.view_for(ctx.project, ctx.user.name, wait=True).predictions()
    predictions = predictions.map({True: "include", False: "exclude"})
    versus = model_agreement(decisions, predictions)
    st.caption("The model's include prediction at its current threshold, trained on the labels you may see "
               "(so it partly agrees by construction on records it was trained on).")
    show_table(pair_rows(versus), hide_index=True, width="stretch", key="model_table")
