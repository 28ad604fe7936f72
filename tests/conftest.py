# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Shared test setup: an isolated HF_HOME (remote code writes modules there), offline hub, tiny seeds."""

import os
import sys
import tempfile
from pathlib import Path

# Isolate every test run from the user's caches and from the network before transformers is imported.
_HF_HOME = tempfile.mkdtemp(prefix="spirit-hf-home-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
for p in (str(ROOT), str(TESTS)):
    if p not in sys.path:
        sys.path.insert(0, p)

SHARED_DATA = ROOT.parent / "shared" / "data"
LIBRISPEECH_FLAC = SHARED_DATA / "librispeech-7143-88743-0029.flac"

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module (``pytestmark = pytest.mark.usefixtures("one_torch_thread")``): tiny stand-ins
    are latency-bound and extra threads only spin on a shared machine."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def hf_home():
    return Path(_HF_HOME)


@pytest.fixture
def librispeech_flac():
    if not LIBRISPEECH_FLAC.exists():
        pytest.skip(f"shared test audio not found at {LIBRISPEECH_FLAC} (the ../shared folder is optional)")
    return LIBRISPEECH_FLAC
