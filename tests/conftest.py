"""Fixtures shared by several test files (helpers that are plain functions live in their own modules)."""
from __future__ import annotations

import pytest


@pytest.fixture(params=[True, False], ids=["forked", "new-interpreter"])
def how_started(request, monkeypatch):
    """Each test runs with the log's child (``workbook.aside``) forked (Linux) and as a new
    interpreter (elsewhere, or no fork)."""
    from mentor_xl.workbook import aside

    if request.param and not aside.FORK:
        pytest.skip("no fork here")
    monkeypatch.setattr(aside, "FORK", request.param)
    return request.param
