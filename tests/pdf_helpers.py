"""Small real-shaped PDFs generated for the tests with matplotlib's PDF backend (text kept as text)."""

from __future__ import annotations

import io
import logging
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "Helvetica, now using medium"
SECTIONS = ("Background", "Methods", "Findings", "Discussion")


def article_pdf(title: str, doi: str | None, body: str, pages: int = 2) -> bytes:
    """An A4 article: title, DOI line, then a section per page with wrapped body text."""
    buffer = io.BytesIO()
    # The 14 standard PDF fonts are not embedded: fast (~0.05 s a file), and the text stays extractable.
    with plt.rc_context({"pdf.use14corefonts": True}), PdfPages(buffer) as pdf:
        for page in range(pages):
            figure = plt.figure(figsize=(8.27, 11.69))
            y = 0.92
            if page == 0:
                for line in textwrap.wrap(title, 70):
                    figure.text(0.08, y, line, fontsize=14, weight="bold")
                    y -= 0.03
                if doi:
                    figure.text(0.08, y, f"https://doi.org/{doi}", fontsize=9)
                    y -= 0.04
            figure.text(0.08, y, SECTIONS[page % len(SECTIONS)], fontsize=12, weight="bold")
            y -= 0.03
            for line in textwrap.wrap(body, 95):
                figure.text(0.08, y, line, fontsize=9)
                y -= 0.018
            pdf.savefig(figure)
            plt.close(figure)
    return buffer.getvalue()


def encrypted_pdf(data: bytes, password: str = "secret") -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_pdf(data: bytes) -> bytes:
    """The first third of a real PDF: a header, then nothing a reader can use."""
    return data[: len(data) // 3]
