"""Every table the app shows goes through here: its "Download as CSV" must be as safe as an export.

Streamlit's table toolbar offers the shown data as a CSV download, so the data is neutralised with the
same function the exports use (screening.spreadsheet) before it reaches the browser.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from screening.spreadsheet import neutralise_frame


def show_table(data: pd.DataFrame | pd.Series | list[dict], **kwargs: Any) -> Any:
    """``st.dataframe`` of the neutralised table (same keyword arguments); a list of rows is a table too."""
    frame = data.to_frame() if isinstance(data, pd.Series) else pd.DataFrame(data)
    return st.dataframe(neutralise_frame(frame), **kwargs)
