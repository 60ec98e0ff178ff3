"""Fixtures shared by every tier: a fixed clock and a test keyring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from xueji.db.crypto import Keyring, install_keyring
from xueji.domain.clock import FixedClock

TEST_MASTER_KEY = b"xueji test master key, not secret"
NOW = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)


UNIT_TIER = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/unit is in the fast tier (``make test-fast``)."""
    for item in items:
        if item.path.is_relative_to(UNIT_TIER):
            item.add_marker(pytest.mark.fast)


@pytest.fixture(autouse=True, scope="session")
def _keyring() -> None:
    install_keyring(Keyring(TEST_MASTER_KEY))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)
