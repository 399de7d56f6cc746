import os
from pathlib import Path

import pytest

os.environ.setdefault("DS_ACCELERATOR", "cpu")

REPO = Path(__file__).resolve().parents[1]
# The real public sample files live beside the checkout (../shared/samples); the tests read them in place.
SAMPLES = Path(os.environ.get("LLAMA_DATA_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.exists():
        pytest.fail(f"real sample files are missing: expected {SAMPLES} (../shared/samples beside the checkout)")
    return SAMPLES
