# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Shared bookkeeping and checks of the fuzz suite (issue 20).

Every fuzz case ends in one of three outcomes, recorded per input family with :func:`record`:

* ``"right"``: a result checked against what it must be (e.g. a round trip, an aligned stream);
* ``"documented"``: a result the docs promise for an odd input (e.g. an empty waveform for empty units);
* ``"error"``: an exception checked by :func:`check_error`: a ValueError/TypeError subclass (the package's own error
  types subclass them), with a message, raised from this repository's code, never from inside a dependency.

With ``SPIRIT_FUZZ_REPORT=path`` set, the counts of the whole pytest session are written to ``path`` as JSON at exit
(merged with what the file already holds, so several test files add up).
"""

import atexit
import json
import os
import traceback
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTCOMES = ("right", "documented", "error")
COUNTS = defaultdict(lambda: {"tried": 0, **{k: 0 for k in OUTCOMES}, "error_types": {}})


def record(family: str, outcome: str, error: BaseException = None) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}; got {outcome!r}")
    row = COUNTS[family]
    row["tried"] += 1
    row[outcome] += 1
    if error is not None:
        name = type(error).__name__
        row["error_types"][name] = row["error_types"].get(name, 0) + 1


def raising_frame(error: BaseException) -> str:
    """File of the frame that raised ``error`` (the deepest of its traceback)."""
    frames = traceback.extract_tb(error.__traceback__)
    return frames[-1].filename if frames else "<no traceback>"


def is_repo_code(filename: str) -> bool:
    path = Path(filename)
    if "site-packages" in path.parts or "dist-packages" in path.parts:
        return False
    try:
        path.resolve().relative_to(ROOT)
    except ValueError:
        return False
    return "tests" not in path.resolve().relative_to(ROOT).parts[:1]


def check_error(error: BaseException, family: str, allowed=(ValueError, TypeError), names=(), any_of=()) -> None:
    """Assert that ``error`` is a clean package error and record it: an ``allowed`` type, a message that says
    something (containing every string of ``names`` and one of ``any_of``: what came in), raised by this
    repository's code."""
    assert isinstance(error, allowed), f"{family}: {type(error).__name__} is not one of {allowed}: {error!r}"
    message = str(error)
    assert len(message) >= 15, f"{family}: error message too short: {message!r}"
    for name in names:
        assert str(name) in message, f"{family}: message does not name {name!r}: {message!r}"
    if any_of:
        assert any(w in message for w in any_of), f"{family}: message names none of {any_of}: {message!r}"
    where = raising_frame(error)
    assert is_repo_code(where), f"{family}: {type(error).__name__} raised from {where}, not this package: {message!r}"
    record(family, "error", error)


def summary() -> dict:
    return {family: dict(row) for family, row in sorted(COUNTS.items())}


def _write_report() -> None:
    path = os.environ.get("SPIRIT_FUZZ_REPORT")
    if not path or not COUNTS:
        return
    report = Path(path)
    merged = {}
    if report.is_file():
        try:
            merged = json.loads(report.read_text())
        except ValueError:
            merged = {}
    for family, row in summary().items():
        old = merged.get(family, {"tried": 0, **{k: 0 for k in OUTCOMES}, "error_types": {}})
        for key in ("tried",) + OUTCOMES:
            old[key] = old.get(key, 0) + row[key]
        types = old.setdefault("error_types", {})
        for name, n in row["error_types"].items():
            types[name] = types.get(name, 0) + n
        merged[family] = old
    report.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")


atexit.register(_write_report)
