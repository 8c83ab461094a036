"""Drawing the PRISMA 2020 flow diagram with matplotlib (SVG, PNG or PDF from the same drawing).

The layout follows the PRISMA 2020 template for new reviews with databases, registers and other
methods: four box columns (databases and registers, what was removed from them, other methods, what
was removed from those) and the phase bands on the left. SVG keeps text as text (svg.fonttype none), so
the file stays searchable; matplotlib escapes it as XML, and mathtext is off so a '$' in a database
name stays a '$'.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from screening.prisma.counts import PrismaFlow  # noqa: E402

FORMATS = ("svg", "png", "pdf")
WIDTH = 13.0
BOX_WIDTH = 2.75
GAP = 0.3
LEFT = 0.75  # room for the phase bands
LINE = 0.19  # inches per text line at FONT_SIZE
FONT_SIZE = 9
WRAP = 38
BAND_COLOUR = "#9dc3e6"
HEADER_COLOURS = ("#ffd966", "#d9d9d9")


@dataclass
class Box:
    column: int
    row: int
    lines: list[str]
    colour: str = "white"


def _n(value: int) -> str:
    return f"(n = {value:,})"


def _wrap(lines: list[str]) -> list[str]:
    wrapped: list[str] = []
    for line in lines:
        indent = "   " if line.startswith("   ") else ""
        wrapped += textwrap.wrap(line.strip(), WRAP, subsequent_indent=indent + "  ", initial_indent=indent) or [""]
    return wrapped


def _reasons(excluded: dict[str, set[int]]) -> list[str]:
    listed = [f"   {reason} {_n(len(ids))}" for reason, ids in excluded.items() if ids]
    return listed or ["   (none)"]


def flow_boxes(flow: PrismaFlow) -> list[Box]:
    """The boxes of the diagram with their texts (rows: 0 header, 1 identification ... 5 included)."""
    fields = flow.fields()
    databases = [f"   {name} {_n(n)}" for name, n in flow.by_database.items()]
    registers = [f"   {name} {_n(n)}" for name, n in flow.by_register.items()]
    boxes = [
        Box(0, 0, ["Identification of new studies via databases and registers"], HEADER_COLOURS[0]),
        Box(2, 0, ["Identification of new studies via other methods"], HEADER_COLOURS[1]),
        Box(0, 1, ["Records identified from:", f"Databases {_n(int(fields['database_results']))}", *databases,
                   f"Registers {_n(int(fields['register_results']))}", *registers]),
        Box(1, 1, ["Records removed before screening:", f"   Duplicate records {_n(int(fields['duplicates']))}",
                   f"   Records marked as ineligible by automation tools {_n(int(fields['excluded_automatic']))}",
                   f"   Records removed for other reasons {_n(int(fields['excluded_other']))}"]),
        Box(2, 1, ["Records identified from:", f"   Websites {_n(int(fields['website_results']))}",
                   f"   Organisations {_n(int(fields['organisation_results']))}",
                   f"   Citation searching {_n(int(fields['citations_results']))}"]),
        Box(0, 2, ["Records screened", _n(int(fields["records_screened"]))]),
        Box(1, 2, ["Records excluded", _n(int(fields["records_excluded"]))]),
        Box(0, 3, ["Reports sought for retrieval", _n(int(fields["dbr_sought_reports"]))]),
        Box(1, 3, ["Reports not retrieved", _n(int(fields["dbr_notretrieved_reports"]))]),
        Box(2, 3, ["Reports sought for retrieval", _n(int(fields["other_sought_reports"]))]),
        Box(3, 3, ["Reports not retrieved", _n(int(fields["other_notretrieved_reports"]))]),
        Box(0, 4, ["Reports assessed for eligibility", _n(int(fields["dbr_assessed"]))]),
        Box(1, 4, ["Reports excluded:", *_reasons(flow.dbr.excluded)]),
        Box(2, 4, ["Reports assessed for eligibility", _n(int(fields["other_assessed"]))]),
        Box(3, 4, ["Reports excluded:", *_reasons(flow.other.excluded)]),
        Box(0, 5, ["Studies included in review", _n(int(fields["new_studies"])), "Reports of included studies",
                   _n(int(fields["new_reports"]))]),
    ]
    for box in boxes:
        box.lines = _wrap(box.lines)
    return boxes


_ARROWS = [((0, 1), (0, 2)), ((0, 1), (1, 1)), ((0, 2), (1, 2)), ((0, 2), (0, 3)), ((0, 3), (1, 3)),
           ((0, 3), (0, 4)), ((0, 4), (1, 4)), ((0, 4), (0, 5)), ((2, 1), (2, 3)), ((2, 3), (3, 3)),
           ((2, 3), (2, 4)), ((2, 4), (3, 4))]
PHASES = (("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 5))


def flow_figure(flow: PrismaFlow, title: str | None = None) -> plt.Figure:
    boxes = flow_boxes(flow)
    heights = {row: max(len(b.lines) for b in boxes if b.row == row) * LINE + 0.3 for row in range(6)}
    top_margin = 0.6 if title else 0.2
    height = top_margin + sum(heights.values()) + 5 * 0.35 + 0.2
    tops, y = {}, height - top_margin
    for row in range(6):
        tops[row] = y
        y -= heights[row] + 0.35
    figure = plt.figure(figsize=(WIDTH, height))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, WIDTH)
    axes.set_ylim(0, height)
    axes.axis("off")

    def x_of(column: int) -> float:
        return LEFT + column * (BOX_WIDTH + GAP) + (0.25 if column >= 2 else 0)

    placed: dict[tuple[int, int], tuple[float, float, float, float]] = {}
    for box in boxes:
        box_height = heights[box.row] if box.row else 0.45
        left, top = x_of(box.column), tops[box.row]
        width = BOX_WIDTH * 2 + GAP if box.row == 0 else BOX_WIDTH
        placed[(box.column, box.row)] = (left, top - box_height, width, box_height)
        axes.add_patch(FancyBboxPatch((left, top - box_height), width, box_height, boxstyle="square,pad=0",
                                      facecolor=box.colour, edgecolor="black", linewidth=1))
        centred = box.row == 0 or all(not line.startswith(" ") for line in box.lines)
        axes.text(left + (width / 2 if centred else 0.12), top - box_height / 2, "\n".join(box.lines),
                  ha="center" if centred else "left", va="center", fontsize=FONT_SIZE, linespacing=1.35,
                  parse_math=False, family="DejaVu Sans")
    for name, first, last in PHASES:
        top, bottom = tops[first], tops[last] - heights[last]
        axes.add_patch(FancyBboxPatch((0.15, bottom), 0.4, top - bottom, boxstyle="round,pad=0,rounding_size=0.08",
                                      facecolor=BAND_COLOUR, edgecolor="none"))
        axes.text(0.35, (top + bottom) / 2, name, rotation=90, ha="center", va="center", fontsize=FONT_SIZE + 1,
                  fontweight="bold", parse_math=False)
    for start, end in _ARROWS:
        _arrow(axes, placed[start], placed[end])
    _elbow(axes, placed[(2, 4)], placed[(0, 5)])
    if title:
        axes.text(WIDTH / 2, height - 0.3, title, ha="center", va="center", fontsize=FONT_SIZE + 3,
                  fontweight="bold", parse_math=False)
    return figure


def _arrow(axes, start, end) -> None:  # type: ignore[no-untyped-def]
    sx, sy, sw, sh = start
    ex, ey, ew, eh = end
    if abs(sx - ex) < 1e-6:  # straight down
        points = ((sx + sw / 2, sy), (ex + ew / 2, ey + eh))
    else:  # to the right, from the middle of the source box
        points = ((sx + sw, sy + sh / 2), (ex, sy + sh / 2 if ey <= sy + sh / 2 <= ey + eh else ey + eh / 2))
    axes.add_patch(FancyArrowPatch(*points, arrowstyle="-|>", mutation_scale=12, linewidth=1, color="black"))


def _elbow(axes, start, end) -> None:  # type: ignore[no-untyped-def]
    """Other methods' assessed reports join the included box: down, then left."""
    sx, sy, sw, _ = start
    ex, ey, ew, eh = end
    corner = (sx + sw / 2, ey + eh / 2)
    axes.plot([sx + sw / 2, corner[0]], [sy, corner[1]], color="black", linewidth=1)
    axes.add_patch(FancyArrowPatch(corner, (ex + ew, ey + eh / 2), arrowstyle="-|>", mutation_scale=12,
                                   linewidth=1, color="black"))


def render_flow(flow: PrismaFlow, fmt: str, title: str | None = None) -> bytes:
    """The diagram as SVG, PNG (150 dpi) or PDF bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"diagram format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    figure = flow_figure(flow, title)
    buffer = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "prisma"}):
        figure.savefig(buffer, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(figure)
    return buffer.getvalue()
