"""Uploaded export files: stored in the project's `imports/` folder under safe, unique names, then imported
one by one with the same code and messages as `screening import`.

A client's file name is not trusted: folders, leading dots, control and shell characters are dropped and
the name is shortened, so no upload can leave the folder or carry a server path into an error. A name
already taken gets a number ("savedrecs-2.txt": Web of Science calls every export savedrecs.txt) instead
of overwriting an earlier upload, and files are created with O_EXCL | O_NOFOLLOW inside a folder opened
with O_NOFOLLOW, so a symbolic link planted in (or as) the folder is never written through.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from screening.records.service import import_outcome
from screening.store.project import Project

IMPORT_DIR = "imports"
MAX_NAME_BYTES = 150  # well under the 255 bytes most file systems allow, with room for a "-NNN" suffix
_KEPT_PUNCTUATION = frozenset(" ._-()+,")
_MAX_COPIES = 10_000


class UploadError(ValueError):
    """An upload that could not be stored; the message names the file, never a server path."""


def safe_name(name: str) -> str:
    """The last part of the client's name, reduced to letters, digits and plain punctuation, with no
    leading dots or spaces and at most MAX_NAME_BYTES of UTF-8; the extension (which picks the format) kept."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name)[-1])
    base = "".join(char if char.isalnum() or char in _KEPT_PUNCTUATION else "_" for char in base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem:
        stem, extension = base, ""
    extension = _shorten(extension, 16)
    stem = _shorten(stem, MAX_NAME_BYTES - len(extension.encode()) - 1).rstrip(" .") or "upload"
    return f"{stem}.{extension}" if extension else stem


def store_upload(project_dir: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a new file in ``project_dir/imports`` and return its path (see the module docstring)."""
    wanted = safe_name(name)
    folder = project_dir / IMPORT_DIR
    try:
        folder.mkdir(exist_ok=True)
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise UploadError(f"{wanted}: could not be stored: the project's {IMPORT_DIR}/ folder cannot be opened "
                          f"({_reason(exc)}; a symbolic link is not followed)") from exc
    try:
        for copy in range(1, _MAX_COPIES + 1):
            candidate = wanted if copy == 1 else _numbered(wanted, copy)
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640,
                             dir_fd=folder_fd)
            except FileExistsError:
                continue  # an earlier upload of that name, or a link someone put there: never replaced
            except OSError as exc:
                raise UploadError(f"{wanted}: could not be stored in {IMPORT_DIR}/ ({_reason(exc)})") from exc
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            except OSError as exc:
                os.unlink(candidate, dir_fd=folder_fd)
                raise UploadError(f"{wanted}: could not be stored in {IMPORT_DIR}/ ({_reason(exc)})") from exc
            return folder / candidate
        raise UploadError(f"{wanted}: could not be stored: {_MAX_COPIES} files of that name are already in "
                          f"{IMPORT_DIR}/")
    finally:
        os.close(folder_fd)


def import_uploads(project: Project, uploads: list[tuple[str, bytes]], actor: str) -> list[tuple[bool, str]]:
    """Store and import each upload on its own; one (ok, message) per upload, in upload order.

    A file that is refused, or whose content was imported before, is removed again, so `imports/` holds
    exactly the files the project's records came from.
    """
    messages: list[tuple[bool, str]] = []
    for name, data in uploads:
        try:
            path = store_upload(project.path, name, data)
        except UploadError as error:
            messages.append((False, f"error: {error}"))
            continue
        outcome = import_outcome(project, path, actor=actor)
        if not outcome.ok or (outcome.summary is not None and outcome.summary.already_imported):
            path.unlink(missing_ok=True)
        messages.append((outcome.ok, outcome.message))
    return messages


def _numbered(name: str, copy: int) -> str:
    stem, dot, extension = name.rpartition(".")
    return f"{stem}-{copy}.{extension}" if dot and stem else f"{name}-{copy}"


def _shorten(text: str, max_bytes: int) -> str:
    encoded = text.encode()
    return text if len(encoded) <= max_bytes else encoded[:max(max_bytes, 0)].decode(errors="ignore")


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
