"""Safe HTML for abstracts with concept terms marked.

Why: abstracts come from outside (databases, exports) and may contain markup; every character is escaped
before the <mark> tags are added, so `<script>` in an abstract shows as text and never runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from screening.app.escape import html_text

# Colour-blind-safe pastel palette (Okabe-Ito hues, lightened) for concept marks.
# Dark text on every mark: the pastel backgrounds stay readable in Streamlit's dark theme too, where the
# page's own text colour is light.
MARK_TEXT = "#1a1a1a"
PALETTE = ("#ffe08a", "#a8d8f0", "#b9e4c9", "#f6c1a6", "#d9c2f0", "#f3b6d0", "#cfd8dc")


def concept_colours(concepts: Sequence[str]) -> dict[str, str]:
    """A stable colour per concept, in protocol order."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(concepts)}


def _inside_a_word(text: str, start: int, end: int) -> bool:
    """True when text[start:end] is only part of a word: a letter or digit touches it, or a hyphen that joins
    it to one ("human" in "non-human", "care" in "care-giver")."""
    def joined(index: int, step: int) -> bool:
        if not 0 <= index < len(text):
            return False
        if text[index].isalnum():
            return True
        beyond = index + step
        return text[index] in "-‐‑" and 0 <= beyond < len(text) and text[beyond].isalnum()

    return joined(start - 1, -1) or joined(end, 1)


def highlight_html(text: str | None, spans: Sequence[tuple[int, int, str]],
                   colours: dict[str, str] | None = None) -> str:
    """Escaped `text` with each (start, end, concept) span wrapped in a coloured <mark>.

    Overlapping spans are resolved by keeping the earliest (then longest) one, so tags never interleave; a
    span that is only part of a word (see `_inside_a_word`) is not marked. Every piece of text is escaped
    (`screening.app.escape.html_text`) before the tags are put around it.
    """
    text = text or ""
    colours = colours or {}
    pieces: list[str] = []
    cursor = 0
    for start, end, concept in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        start, end = max(start, cursor), min(end, len(text))
        if start >= end or _inside_a_word(text, start, end):
            continue
        pieces.append(html_text(text[cursor:start]))
        colour = colours.get(concept, PALETTE[0])
        pieces.append(
            f'<mark style="background:{html_text(colour)};color:{MARK_TEXT};padding:0 2px;border-radius:3px" '
            f'title="{html_text(concept)}">{html_text(text[start:end])}</mark>'
        )
        cursor = end
    pieces.append(html_text(text[cursor:]))
    return "".join(pieces)
