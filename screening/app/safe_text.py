"""Text from files and people, made safe for Streamlit's markdown elements (st.error, st.caption, labels).

Why not html.escape alone: markdown shows '&#x27;' entities in some places, while only <, > and & can
start markup; quotes are harmless outside attributes (st.html content still uses html.escape).
"""

from __future__ import annotations

import html


def md_escape(value: object) -> str:
    return html.escape(str(value), quote=False)
