"""Load a review protocol from YAML (structured) or markdown (criteria as published, free text)."""

from __future__ import annotations

from pathlib import Path

from screening.protocol.errors import ProtocolError
from screening.protocol.markdown_criteria import parse_markdown_protocol
from screening.protocol.schema import Protocol
from screening.protocol.yaml_protocol import parse_yaml_protocol

YAML_SUFFIXES = (".yaml", ".yml")
MARKDOWN_SUFFIXES = (".md", ".markdown")


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol file; raises ProtocolError naming the file (and line/field) on problems."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + MARKDOWN_SUFFIXES:
        raise ProtocolError(str(path), f"unknown protocol file type '{path.suffix or '(none)'}': "
                                       f"expected {', '.join(YAML_SUFFIXES + MARKDOWN_SUFFIXES)}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ProtocolError(str(path), "file not found") from error
    except UnicodeDecodeError as error:
        raise ProtocolError(str(path), f"not UTF-8 text (byte {error.start}): save the file as UTF-8") from error
    if suffix in YAML_SUFFIXES:
        return parse_yaml_protocol(text, str(path))
    return parse_markdown_protocol(text, str(path))
