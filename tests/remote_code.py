# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Run a script in a fresh Python process where the `modeling_spirit` package is NOT importable.

Works whether or not the package is installed in the environment (an editable install in CI): the repository is
removed from ``sys.path`` and an import hook refuses ``modeling_spirit``, so only the Hub remote-code loader (which
imports the copied files as ``transformers_modules.*``) can provide the classes.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = str(Path(__file__).resolve().parent.parent)

_PRELUDE = f"""
import os, sys
_REPO = {REPO!r}
sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) not in (_REPO, os.path.join(_REPO, "tests"))]
class _BlockSpiritPackage:
    def find_spec(self, name, path=None, target=None):
        if name == "modeling_spirit" or name.startswith("modeling_spirit."):
            raise ImportError("modeling_spirit is blocked: this process must rely on remote code only")
        return None
sys.meta_path.insert(0, _BlockSpiritPackage())
try:
    import modeling_spirit  # noqa: F401
    raise SystemExit("modeling_spirit is importable: the remote-code test would be invalid")
except ImportError:
    pass
"""


def run_without_package(script: str, tmp_path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``script`` with its own ``HF_HOME`` (offline), cwd ``tmp_path``; returns the completed process."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HF_HOME"] = str(Path(tmp_path) / "hf-home-remote")
    env["HF_HUB_OFFLINE"] = "1"
    code = _PRELUDE + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=timeout)
