"""The one place where text from files and people is made safe for the browser.

Streamlit renders Markdown in far more places than ``st.markdown``: captions, headers, alerts (error,
warning, info, success), toasts, expander and tab labels, every widget label and help tooltip, radio
options, progress texts and metric labels. There a title like ``![x](http://evil/x.png)`` would load an
external image, ``[click](javascript:…)`` would render a link, ``$x$`` LaTeX, ``:red[x]`` colour and
``**bold**`` or ``# heading`` would change the page. So every such text goes through ``md`` (or ``md_code``
for an id shown as code); text put into ``st.html`` goes through ``html_text`` instead. Plain-text places
(``st.dataframe`` cells, ``st.code``, text-input values, selectbox and multiselect options, which Streamlit
shows as typed) take the text as it is: escaping there would show the backslashes.

Why backslashes and not ``html.escape``: CommonMark lets a backslash escape any ASCII punctuation, and an
escaped character is always shown literally, so the reader sees exactly the text that was typed (an entity
such as ``&lt;`` is itself Markdown and would show as ``<``, hiding what the text held). Only the characters
that can open something are escaped, so messages stay readable (``error: refs.ris, line 4`` is unchanged):

- inline: backslash (escapes), backtick (code), ``*`` ``_`` ``~`` (emphasis, strike-through), ``[`` ``]`` (links,
  images, ``:red[…]`` directives), ``<`` (HTML, ``<http://…>`` links), ``$`` (LaTeX), ``&`` (entities);
- bare links that GFM would make clickable: the ``:`` of ``://``, the ``@`` of an e-mail address, the ``.``
  after ``www``;
- blocks: line breaks become spaces, and a leading ``#``, ``>``, ``-``, ``+``, ``=``, ``|`` or ``1.`` / ``1)``
  is escaped, so the text cannot start a heading, quote, list or table wherever it is placed.
"""

from __future__ import annotations

import html
import re

_INLINE = re.compile(r"([\\`*_~\[\]<$&])")
_BARE_LINKS = re.compile(r"(?<=[A-Za-z0-9])(:)(?=//)|(@)|(?<=www)(\.)", re.IGNORECASE)
_BLOCK_START = re.compile(r"^(\s*(?:\d+(?=[.)]))?)([#>+=|.)-])")
_LINE_BREAKS = re.compile(r"\r\n?|\n")


def md(value: object) -> str:
    """``value`` as literal text inside Markdown (see the module docstring for what is escaped and why)."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    text = _INLINE.sub(r"\\\1", text)
    text = _BARE_LINKS.sub(lambda match: "\\" + match.group(0), text)
    return _BLOCK_START.sub(lambda match: match.group(1) + "\\" + match.group(2), text)


def md_list(items: object) -> str:
    """A Markdown bullet list of ``items``, each escaped with ``md`` (for problems listed under a message)."""
    return "\n".join(f"- {md(item)}" for item in items)  # type: ignore[attr-defined]


def md_code(value: object) -> str:
    """``value`` as an inline code span (shown verbatim; nothing inside a code span is Markdown).

    The fence is one backtick longer than the longest run of backticks in the text, and padded with a
    space when the text starts or ends with a backtick, as CommonMark requires.
    """
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(value: object) -> str:
    """``value`` as text inside HTML (``st.html``), quotes included so it is also safe in an attribute."""
    return html.escape("" if value is None else str(value), quote=True)
