"""The floor plan: every import runs from a layer down to a lower one, the pure layers stay pure, and no package
holds more than a quarter of the code."""
import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lowest first. A module imports its own package or a lower layer, never a sibling or a higher layer.
LAYERS = {"llama_data": 0, "curation": 1, "readers": 2, "tokens": 3, "samples": 3,
          "pipelines": 4, "pretrain": 4, "orchestration": 5}
PURE = {"llama_data", "curation", "readers", "tokens", "samples"}  # no Beam, no DeepSpeed
ENGINES = {"apache_beam", "deepspeed"}


def _modules():
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def _imports(path: Path):
    """Top-level names of every import in the file, function-level ones included."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_every_top_level_package_has_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS)


def test_imports_only_run_downwards():
    wrong = [f"{path.relative_to(ROOT)} imports {name}" for package, path in _modules()
             for name in _imports(path) if name in LAYERS and name != package and LAYERS[name] >= LAYERS[package]]
    assert wrong == []


def test_pure_layers_and_the_model_import_no_engine():
    impure = [f"{path.relative_to(ROOT)} imports {name}" for package, path in _modules()
              for name in _imports(path) if name in ENGINES and package in PURE]
    impure += [f"pretrain/model.py imports {n}" for n in _imports(ROOT / "pretrain" / "model.py") if n in ENGINES]
    assert impure == []


def test_no_package_holds_more_than_a_quarter_of_the_code():
    lines = Counter()
    for package, path in _modules():
        lines[package] += sum(1 for line in path.read_text().splitlines() if line.strip())
    share = {p: round(n / sum(lines.values()), 3) for p, n in lines.items()}
    assert max(share.values()) <= 0.25, share
