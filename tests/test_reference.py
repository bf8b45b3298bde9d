"""The Dutch reference frequencies (digest/edition/reference.py) and their table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from digest.edition.reference import _zipf

ROOT = Path(__file__).resolve().parent.parent


def test_the_table_holds_stems_with_their_forms_summed() -> None:
    table = _zipf()
    assert len(table) > 20_000
    # "trein" is the stem of both "trein" and "treinen": the sum is above either.
    assert table["trein"] > 4.5
    assert table["de"] > table["land"] > table["trein"] > table["staak"]
    assert min(table.values()) >= 3.0


def test_the_shipped_table_is_what_the_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_frequencies.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
