"""Plain text from the LaTeX found in BibTeX field values: accents, escapes, formatting, braces, dashes.

Only the basics that reference managers write. bibtexparser's own latex_to_unicode garbles repeated
accents ("Mar{\\'\\i}a" -> "Mará"), and a full LaTeX parser (pylatexenc) takes ~25 ms per abstract, i.e.
minutes for a few thousand records; these few regular expressions are exact for the cases below and fast.
"""

from __future__ import annotations

import re
import unicodedata

# Accent command -> combining character; the letter-named ones need a brace or space after them.
_COMBINING = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
              ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
              "r": "\u030a"}
_ACCENT = re.compile(r"""\\(?:([`'^"~=.])|([uvHckr])(?=[\s{]))\s*(?:\{\s*\\?([A-Za-z])\s*\}|\\?([A-Za-z]))""")
_LETTERS = {"ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "o": "ø", "O": "Ø",
            "l": "ł", "L": "Ł", "i": "i", "j": "j", "ldots": "…", "dots": "…", "textendash": "\u2013",
            "textemdash": "\u2014", "textquoteright": "\u2019", "textquoteleft": "\u2018", "S": "§"}
_LETTER = re.compile(r"\\(" + "|".join(sorted(_LETTERS, key=len, reverse=True)) + r")(?![A-Za-z])\s?")
_FORMATTING = re.compile(r"\\(?:emph|text(?:it|bf|sc|tt|rm|sf|up|md|sl|normal|superscript|subscript)|"
                         r"math(?:rm|it|bf|sf|tt|cal)|mbox|url|href)\*?\s*")
_OTHER_COMMAND = re.compile(r"\\([A-Za-z]+)\s?")
_ESCAPED = re.compile(r"\\([&%$#_{}])")
_MATH_SHIFT = re.compile(r"(?<!\\)\$")
_TIE = re.compile(r"(?<!\\)~")
_OPEN, _CLOSE = "\x00", "\x01"  # stand-ins for escaped braces while unescaped ones are dropped


def latex_to_text(value: str) -> str:
    """Turn a BibTeX field value into the text a reader sees."""
    if "\\" not in value and "{" not in value and "$" not in value and "~" not in value and "--" not in value:
        return value
    value = _ACCENT.sub(_accented, value)
    value = _LETTER.sub(lambda match: _LETTERS[match.group(1)], value)
    value = _FORMATTING.sub("", value)
    value = value.replace("\\{", _OPEN).replace("\\}", _CLOSE)
    value = _MATH_SHIFT.sub("", value)
    value = _TIE.sub(" ", value)
    value = _ESCAPED.sub(r"\1", value)
    value = _OTHER_COMMAND.sub(r"\1", value).replace("\\\\", " ").replace("\\", "")
    value = value.replace("{", "").replace("}", "").replace(_OPEN, "{").replace(_CLOSE, "}")
    value = value.replace("---", "\u2014").replace("--", "\u2013")
    return unicodedata.normalize("NFC", value)


def _accented(match: re.Match[str]) -> str:
    accent = match.group(1) or match.group(2)
    letter = match.group(3) or match.group(4)
    return letter + _COMBINING[accent]
