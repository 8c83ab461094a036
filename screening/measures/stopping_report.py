"""The stopping report: the paragraph a methods section cites, with the numbers behind it (Markdown, HTML).

Why: a review can only report stopping early if it states the method, its assumptions, the target and
confidence, the samples drawn (seed, size, records unread), the records read, and the estimate with its
interval. Everything here comes from `stopping_state` (the team view) and the stored samples.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

from screening.measures.live_stopping import StoppingState

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def _markdown_text(value: str) -> str:
    """Plain text for a Markdown file: HTML's < and & escaped, Markdown's punctuation backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(value, quote=False))


def _sentences(state: StoppingState, title: str, text: Callable[[str], str] = str) -> list[str]:
    """``text``: how words from people or files (the title, reviewer names) are made safe for the format."""
    rule = state.rule
    est, low, _ = state.recall
    left = state.remaining
    lines = [
        f"Title and abstract screening of {text(title)} was prioritised by the screening toolkit's ranker. "
        f"Stopping followed a certified random-sampling method: once the ranked reading had run dry, a simple "
        f"random sample was drawn from the records not yet screened and screened like any other record; "
        f"screening could stop when an exact hypergeometric bound showed, with {rule.confidence:.0%} "
        f"confidence, that recall was at least {rule.target:.0%}. The error was split between attempts "
        f"({rule.first_share:g} of it for the first, then each later attempt {1 - rule.first_share:g} of the "
        f"previous one's), so all attempts together err with probability below {rule.alpha:.2f}. The method "
        f"makes no assumption about the ranking or the order of screening; it assumes only that every "
        f"sampled record was screened and its decision is the review's.",
        f"{state.n_screened} of {state.n_records} records were screened, {state.found} of them included. "
        f"Estimated includes not yet found: {left.estimate:.0f} (95 % interval {left.lower} to {left.upper}; "
        f"{left.method}: {left.assumptions}); estimated recall {est:.1%} (at least {low:.1%}).",
    ]
    for sample in state.samples:
        outcome = sample.outcome or "still being screened"
        bound = "" if sample.recall_lower is None else f", recall at least {sample.recall_lower:.1%}"
        found = "" if sample.includes_in_sample is None else f", {sample.includes_in_sample} includes in it"
        lines.append(f"Sample {sample.attempt} (drawn {sample.drawn_at} UTC by {text(sample.drawn_by)}, seed "
                     f"{sample.seed}): {sample.size} of {sample.population} unscreened records, each with "
                     f"probability {sample.size / sample.population:.4f}, error spent {sample.alpha:.4f}, "
                     f"certifies with at most {sample.max_includes} includes{found}: {outcome}{bound}.")
    if not state.samples:
        lines.append("No random sample has been drawn yet.")
    lines.append(f"Verdict: {state.advice()}")
    return lines


def stopping_report_markdown(state: StoppingState, title: str) -> str:
    """Markdown; every text from people or files (title, reviewer names) escaped."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n\n".join(_sentences(state, title, _markdown_text))
    return f"# Stopping report\n\nGenerated {now}.\n\n{body}\n"


def stopping_report_html(state: StoppingState, title: str) -> str:
    """A self-contained HTML page (every text escaped), printable to PDF from a browser."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in _sentences(state, title))
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stopping report</title>"
            f"<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}}</style></head>"
            f"<body><h1>Stopping report</h1><p>Generated {now}.</p>\n{paragraphs}\n</body></html>\n")
