"""Checking an uploaded PDF and extracting its text with pypdf, with a clear message instead of a traceback.

Why a broad except around pypdf: the file comes from outside, and a damaged PDF can make any parser raise
almost anything (PdfReadError, KeyError, ValueError, RecursionError...). Whatever it raises, the user gets
one sentence naming the file, and nothing is stored.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_PAGES = 2000
PDF_MAGIC = b"%PDF-"


class PdfError(ValueError):
    """A file that is not a readable, unencrypted PDF; the message names the file."""


@dataclass(frozen=True)
class PdfText:
    n_pages: int
    text: str
    note: str | None  # e.g. pages without a text layer


def read_pdf(data: bytes, name: str) -> PdfText:
    """Validate the bytes as a PDF and return its text (pages joined by blank lines)."""
    import pypdf

    if len(data) > MAX_PDF_BYTES:
        raise PdfError(f"{name}: {len(data) / 1e6:.0f} MB is larger than the {MAX_PDF_BYTES // 2**20} MB limit")
    if PDF_MAGIC not in data[:1024]:
        raise PdfError(f"{name}: not a PDF file (no '%PDF-' header); attach the article's PDF")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about repaired files are not errors
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(reader, name)
        n_pages = len(reader.pages)
    except PdfError:
        raise
    except Exception as error:  # noqa: BLE001 - see the module docstring
        raise PdfError(f"{name}: not a readable PDF, the file seems damaged ({_describe(error)})") from error
    if n_pages == 0:
        raise PdfError(f"{name}: the PDF has no pages")
    if n_pages > MAX_PAGES:
        raise PdfError(f"{name}: {n_pages} pages is more than the {MAX_PAGES}-page limit for one report")
    texts, failed, empty = [], [], 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = (page.extract_text() or "").strip()
        except Exception:  # noqa: BLE001 - one unreadable page must not lose the others
            failed.append(number)
            continue
        empty += not text
        texts.append(text)
    notes = []
    if failed:
        notes.append(f"text of page(s) {', '.join(map(str, failed))} could not be read")
    if empty == n_pages:
        notes.append("no text layer (a scanned PDF?): the PDF is kept, but there is no text to highlight")
    elif empty:
        notes.append(f"{empty} of {n_pages} pages have no text layer")
    return PdfText(n_pages=n_pages, text="\n\n".join(t for t in texts if t), note="; ".join(notes) or None)


def _decrypt(reader, name: str) -> None:  # type: ignore[no-untyped-def]
    """Open PDFs that are only owner-protected (empty user password); refuse password-protected ones."""
    try:
        opened = reader.decrypt("")
    except Exception as error:  # noqa: BLE001 - e.g. AES without a crypto library
        raise PdfError(f"{name}: the PDF is encrypted ({_describe(error)}); save an unprotected copy and "
                       "attach that") from error
    if not opened:
        raise PdfError(f"{name}: the PDF is password-protected; save an unprotected copy and attach that")


def _describe(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__
