"""Seeded mutations of export files: the damage real files suffer (truncation, stray bytes, lost or doubled
lines, wrong encodings) and the tokens each format's parser treats specially (braces, quotes, tags)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from random import Random

# Tokens that change how some importer reads what follows them.
_SPECIAL = (
    b"{", b"}", b"{{{{", b"}}}}", b'"', b"'", b",", b";", b"=", b"#", b"\\", b"%", b"@", b"|",
    b"\t", b"\n", b"\r", b"\r\n", b"\n\n", b"\x00", b"\x01", b"\x1a", b"\x7f",
    b"\xff", b"\xfe", b"\xc3", b"\xe2\x80", b"\xef\xbb\xbf", b"\xf0\x9f\x98\x80", "é".encode("cp1252"),
    b"@article{", b"@string{x = x # x}", b"@comment{", b"@preamble{", b" # ", b"month = jan,",
    b"TY  - JOUR\n", b"ER  - \n", b"AU  - ", b"KW  - ", b"  -", b"TY  - ", b"\nER  - ",
    b"PMID- ", b"AB  - ", b"      ", b"FAU - ", b"\nPMID- 1\n",
    b'"",', b'"a""b"', b'\n"', b"Title,Abstract\n", b"\t\t\t",
)


def mutate(data: bytes, rng: Random) -> bytes:
    """One to three random edits of ``data``."""
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(_EDITS)(data, rng)
    return data


def mutate_xlsx(data: bytes, rng: Random) -> bytes:
    """Half the time damage the ZIP container itself, else one member's XML inside an intact container."""
    if rng.random() < 0.5:
        return mutate(data, rng)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(info, archive.read(info)) for info in archive.infolist()]
    except zipfile.BadZipFile:
        return mutate(data, rng)
    target = rng.randrange(len(members))
    action = rng.random()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (info, content) in enumerate(members):
            if index == target and action < 0.1:
                continue  # a member lost
            if index == target:
                content = mutate(content, rng)
            archive.writestr(info, content)  # the member's own timestamp: the same seed, the same bytes
    return out.getvalue()


def _position(data: bytes, rng: Random) -> int:
    return rng.randint(0, len(data))


def _flip(data: bytes, rng: Random) -> bytes:
    if not data:
        return data
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    return bytes(buffer)


def _insert_special(data: bytes, rng: Random) -> bytes:
    at = _position(data, rng)
    return data[:at] + rng.choice(_SPECIAL) * rng.choice((1, 1, 1, 2, 5, 100)) + data[at:]


def _delete_span(data: bytes, rng: Random) -> bytes:
    at = _position(data, rng)
    return data[:at] + data[at + rng.randint(1, 400):]


def _duplicate_span(data: bytes, rng: Random) -> bytes:
    at = _position(data, rng)
    span = data[at:at + rng.randint(1, 400)]
    return data[:at] + span * rng.randint(2, 20) + data[at:]


def _truncate(data: bytes, rng: Random) -> bytes:
    return data[:_position(data, rng)]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _swap_lines(data: bytes, rng: Random) -> bytes:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _drop_line(data: bytes, rng: Random) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def _repeat_line(data: bytes, rng: Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i:i + 1] = [lines[i]] * rng.choice((2, 3, 50, 5000))
    return b"\n".join(lines)


def _long_run(data: bytes, rng: Random) -> bytes:
    """A huge field, a deep nesting or a long whitespace run at a random place."""
    at = _position(data, rng)
    unit = rng.choice((b"a", b" ", b"{", b"}", b"\n", b"x ", b"\\'", b"and ", b", ", b"{x}"))
    return data[:at] + unit * rng.choice((1_000, 20_000, 300_000)) + data[at:]


def _reencode(data: bytes, rng: Random) -> bytes:
    """The whole file saved again in another encoding (UTF-16 with BOM, cp1252, or UTF-8 with BOM)."""
    text = data.decode("utf-8", errors="replace")
    encoding = rng.choice(("utf-16", "cp1252", "utf-8-sig", "latin-1"))
    return text.encode(encoding, errors="replace")


_EDITS: tuple[Callable[[bytes, Random], bytes], ...] = (
    _flip, _flip, _insert_special, _insert_special, _insert_special, _delete_span, _duplicate_span,
    _truncate, _swap_lines, _drop_line, _repeat_line, _long_run, _reencode,
)
