"""Writing the files users ask for (exports, rankings) and the project's own files: checked, atomic.

Why one place: a missing folder or a folder given as the file used to end in a traceback, and a write
cut short left half a file. Here the path is checked first (a clear error naming it) and the bytes
go to a temporary file in the same folder that replaces the target only once complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o644


class OutputPathError(ValueError):
    """The file cannot be written there: the folder is missing, the path is a folder, or no permission."""


def check_output_path(path: str | Path) -> Path:
    """The path, if a file can be written there; otherwise OutputPathError saying why.

    A missing parent folder is an error rather than created: a mistyped path should not quietly
    scatter new folders, just as a shell redirection into a missing folder fails.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{path}: is a folder; give a file name, e.g. {path / 'export.csv'}")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise OutputPathError(f"{path}: cannot write the file, folder {parent} {what} (create it first)")
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"{path}: no permission to write in folder {parent}")
    return path


def write_atomically(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` all at once: readers see the old file or the new one, never a part."""
    path = check_output_path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else NEW_FILE_MODE
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)  # mkstemp makes the file private (0600); keep the usual permissions
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputPathError(f"{path}: could not be written ({error.strerror or error})") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
