"""The house rules of docs/architecture.md, checked on the code as it is."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

import xueji

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(xueji.__file__).resolve().parent
MAX_LINES = 400


def test_rooms_depend_one_way_and_read_only_their_own_tables() -> None:
    """The contracts in pyproject.toml: the layers (cli → app → … → domain; web/ below
    every feature) and no module importing another module's models or repository."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_no_source_file_is_too_long_to_read_at_once() -> None:
    """A module past the limit splits into sub-packages with the same file names."""
    too_long = {
        str(path.relative_to(SOURCE)): length
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts
        and (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
