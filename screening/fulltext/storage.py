"""Keeping full-text PDFs in the project folder safely.

Files are stored under their content hash (`<sha256>.pdf`) in `fulltexts/`: no name from a user or a file
ever becomes a path, the same PDF is stored once, and a stored file can be checked against its hash.
Links are never followed, neither when reading a folder of PDFs nor for the storage folder itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from pathlib import Path

from screening.fulltext.pdf_text import MAX_PDF_BYTES, PdfError
from screening.store.project import Project

FULLTEXT_DIR = "fulltexts"
_STORED_NAME = re.compile(r"^[0-9a-f]{64}\.pdf$")


class StorageError(OSError):
    """The full-text folder or a file cannot be used safely (a symbolic link, not a file, too large)."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fulltext_folder(project: Project) -> Path:
    folder = project.path / FULLTEXT_DIR
    if folder.is_symlink():
        raise StorageError(f"{folder} is a symbolic link; full texts are only stored in a real folder")
    folder.mkdir(exist_ok=True)
    return folder


def store_pdf(project: Project, data: bytes) -> tuple[str, bool]:
    """Write the PDF under its hash; returns (stored name, whether this call created the file)."""
    name = f"{sha256_of(data)}.pdf"
    folder = fulltext_folder(project)
    target = folder / name
    if target.is_symlink():
        raise StorageError(f"{target} is a symbolic link; refusing to use it")
    if target.exists():
        return name, False
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", suffix=".part", delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, target)  # atomic: a reader never sees half a file
    return name, True


def remove_stored(project: Project, name: str) -> None:
    """Remove a file this process just stored when the database write that needed it failed."""
    path = project.path / FULLTEXT_DIR / _checked_name(name)
    if path.is_file() and not path.is_symlink():
        path.unlink()


def read_stored(project: Project, name: str) -> bytes:
    """The stored PDF's bytes, checked against the hash in its name."""
    data = read_file_no_follow(project.path / FULLTEXT_DIR / _checked_name(name))
    if sha256_of(data) != name.removesuffix(".pdf"):
        raise StorageError(f"{name}: the stored full text no longer matches its hash (changed on disk?)")
    return data


def read_file_no_follow(path: Path, limit: int = MAX_PDF_BYTES) -> bytes:
    """Read a regular file without following a symbolic link at its last component."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        if path.is_symlink():
            raise StorageError(f"{path.name}: a symbolic link, not followed") from error
        raise StorageError(f"{path.name}: cannot be read ({error.strerror or error})") from error
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise StorageError(f"{path.name}: not a regular file")
        size = status.st_size
        if size > limit:
            raise PdfError(f"{path.name}: {size / 1e6:.0f} MB is larger than the {limit // 2**20} MB limit")
        return handle.read()


def _checked_name(name: str) -> str:
    if not _STORED_NAME.match(name or ""):
        raise StorageError(f"'{name}' is not the name of a stored full text")
    return name
