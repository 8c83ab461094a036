"""Screen and Progress: recall so far, the includes left with their interval, and the stopping verdict.

Why one component: both pages must say the same thing, in words a reviewer understands, from the view
the signed-in reviewer may see (`screening.measures.live_stopping`). Only the lead may draw a sample or
download the stopping report; a reviewer never learns which records were drawn.
"""

from __future__ import annotations

import streamlit as st

from screening.app.context import Context
from screening.decisions.stopping_samples import SAMPLED_STAGE, SampleError
from screening.measures.live_stopping import StoppingState, draw_recommended_sample, stopping_state
from screening.measures.stopping_report import stopping_report_html, stopping_report_markdown

VERDICT_LABELS = {"stop": "may stop", "sample": "check due", "sampling": "checking", "continue": "continue"}
LEFT_HELP = ("Includes not yet found: an estimate and its 95 % interval. Before a random check the upper end "
             "assumes the latest ranked records were at least as likely to be includes as the unscreened ones; "
             "after one it needs no assumption.")


def _state(ctx: Context) -> StoppingState | None:
    return stopping_state(ctx.project, ctx.user.name, actor=ctx.user.name)


def _verdict_for(ctx: Context, state: StoppingState) -> tuple[str, str]:
    """Verdict label and sentence; a reviewer who is not the lead is not told a random check is running
    (so nothing singles out the drawn records in their queue)."""
    if state.verdict == "sampling" and not ctx.user.is_lead:
        est, low, _ = state.recall
        return VERDICT_LABELS["continue"], (f"About {state.remaining.estimate:.0f} includes are still unfound; "
                                            f"recall so far about {est:.0%} (at least {low:.0%}). Continue "
                                            f"screening your queue.")
    return VERDICT_LABELS[state.verdict], state.headline()


def stopping_metrics(ctx: Context, left_col, verdict_col) -> None:  # type: ignore[no-untyped-def]
    """The two figures on Screen: includes left, and the verdict (its full sentence as help)."""
    if ctx.stage != SAMPLED_STAGE:
        return
    state = _state(ctx)
    if state is None:
        return
    left = state.remaining
    left_col.metric("Includes left (est.)", f"{left.estimate:.0f}", delta=f"95 %: {left.lower}–{left.upper}",
                    delta_color="off", delta_arrow="off", help=LEFT_HELP)
    label, sentence = _verdict_for(ctx, state)
    verdict_col.metric("Stopping", label, help=sentence)


def stopping_section(ctx: Context) -> None:
    """Progress: recall, includes left, verdict, cost to certify; the lead's draw and report."""
    if ctx.stage != SAMPLED_STAGE:
        st.caption("The certified stopping method applies to title/abstract screening; at full text every "
                   "candidate is read.")
        return
    state = _state(ctx)
    if state is None:
        st.info("No decisions yet: the stopping estimate starts with the first decision.")
        return
    est, low, high = state.recall
    cols = st.columns(4)
    cols[0].metric("Recall so far (est.)", f"{est:.0%}", delta=f"at least {low:.0%}", delta_color="off",
                   delta_arrow="off",
                   help="Includes found over includes found plus the estimated includes left.")
    cols[1].metric("Includes left (est.)", f"{state.remaining.estimate:.0f}",
                   delta=f"95 %: {state.remaining.lower}–{state.remaining.upper}", delta_color="off",
                   delta_arrow="off", help=LEFT_HELP)
    label, sentence = _verdict_for(ctx, state)
    cols[2].metric("Stopping", label)
    cost = state.cost_to_certify
    if ctx.user.is_lead or state.verdict != "sampling":
        cols[3].metric("Records to screen before 'stop'", "all unread" if cost is None else f"{cost}",
                       help="What the recommended method still needs: the rest of the random check, or the "
                            "sample it would draw now.")
    st.markdown(sentence)
    st.caption(f"Method: {state.rule.assumptions}")
    if ctx.user.is_lead:
        _lead_controls(ctx, state)


def _draw(ctx: Context) -> None:
    """Button callback: runs before the page, so every figure on it already counts the new sample."""
    try:
        sample = draw_recommended_sample(ctx.project, ctx.user.name, force=True)
    except (SampleError, ValueError) as exc:
        st.session_state["stopping_error"] = str(exc)
    else:
        st.session_state["stopping_drawn"] = (f"Drew {sample.size} of {sample.population} unscreened records "
                                              f"(seed {sample.seed}); they now come first in every reviewer's "
                                              f"queue, unmarked.")


def _lead_controls(ctx: Context, state: StoppingState) -> None:
    plan = state.plan
    if plan is not None and plan.sample_size and state.verdict in ("sample", "continue"):
        label = f"Draw the random check ({plan.sample_size} records)"
        if state.verdict == "continue":
            label += " now, although the ranking still finds includes"
        st.button(label, key="draw_stopping_sample", on_click=_draw, args=(ctx,))
    for key, show in (("stopping_drawn", st.success), ("stopping_error", st.error)):
        message = st.session_state.pop(key, None)
        if message:
            show(message)
    name = ctx.project.path.name
    cols = st.columns(2)
    cols[0].download_button("Stopping report (Markdown)", data=lambda: stopping_report_markdown(
        _state(ctx) or state, name), file_name=f"{name}_stopping_report.md", mime="text/markdown",
        key="stopping_report_md")
    cols[1].download_button("Stopping report (HTML, print to PDF)", data=lambda: stopping_report_html(
        _state(ctx) or state, name), file_name=f"{name}_stopping_report.html", mime="text/html",
        key="stopping_report_html")
