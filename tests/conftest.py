"""Shared fixtures: temporary projects holding a few real (CC0) records."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Tests create dozens of reviewers with passwords: scrypt at N=2^10 instead of OWASP's 2^17 (about 1 s each
# here). Only tests set this; tests/test_sign_in.py checks the production parameters with it removed.
os.environ.setdefault("SCREENING_INSECURE_TEST_SCRYPT_N", "1024")

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parents[1]


@pytest.fixture
def fresh_streamlit_caches() -> Iterator[None]:
    """App tests open a new project each; cached rankers keyed by folder must not leak between tests."""
    import streamlit as st

    yield
    st.cache_data.clear()
    st.cache_resource.clear()
