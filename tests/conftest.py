"""Shared fixtures: every test gets its own store path; none touches the user's data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Point the default store, the data directories and HOME at the test's own
    # temporary folder, so nothing can reach the real user data directory.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("PROC_STORE", str(tmp_path / "default-store.json"))
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A fresh, not yet existing store file in a temporary directory."""
    return tmp_path / "processes.json"


@pytest.fixture
def env(store_path: Path) -> dict[str, str]:
    """An environment for subprocesses that points ``proc`` at ``store_path``."""
    out = dict(os.environ)
    out["PROC_STORE"] = str(store_path)
    return out
