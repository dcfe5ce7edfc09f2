"""The package layout's import rules (see each package's ``__init__`` docstring), read from the source.

Every ``import`` and ``from ... import`` is checked, including those inside functions (lazy imports
count: a lazy import across a forbidden edge is still a dependency). A second test imports every
module and checks that none pulls in torch at import time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = {"codeswitch." + m for m in ("records", "example_io", "errors", "languages", "atomic", "tokenize", "options")}
STAGES = ("codeswitch.lexical", "codeswitch.parallel", "codeswitch.recipes", "codeswitch.cli", "training", "evaluation")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the first-party modules a file imports (``from pkg import mod`` gives ``pkg.mod``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {n for n in found if n.split(".")[0] in ("codeswitch", "training", "evaluation")}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _forbidden(module: str) -> tuple[str, ...]:
    """Package prefixes ``module`` must never import."""
    if _under(module, "codeswitch.lexical"):
        others = ("codeswitch.recipes", "codeswitch.cli", "training", "evaluation")
        # the generate command is the one door to the parallel pipeline (generate --pairs)
        return others if module == "codeswitch.lexical.generate_cli" else (*others, "codeswitch.parallel")
    if _under(module, "codeswitch.parallel"):
        return ("codeswitch.lexical", "codeswitch.recipes", "codeswitch.cli", "training", "evaluation")
    if _under(module, "codeswitch.recipes"):
        return ("codeswitch.cli",)
    if module in ("codeswitch.cli", "codeswitch._moved"):
        return ()
    if _under(module, "codeswitch"):  # the shared core
        return STAGES
    if _under(module, "training"):
        return ("evaluation", "codeswitch.lexical", "codeswitch.parallel", "codeswitch.recipes", "codeswitch.cli")
    if _under(module, "evaluation"):
        return ("training", "codeswitch.lexical", "codeswitch.parallel", "codeswitch.recipes", "codeswitch.cli")
    raise AssertionError(f"no rule for {module}")


def _sources() -> list[Path]:
    return sorted(p for pkg in ("codeswitch", "training", "evaluation") for p in (REPO / pkg).rglob("*.py"))


def test_import_rules():
    broken = []
    for path in _sources():
        module = _module_name(path)
        for name in sorted(_imports(path)):
            bad = next((f for f in _forbidden(module) if _under(name, f)), None)
            if bad:
                broken.append(f"{module} imports {name} (forbidden: {bad})")
    assert not broken, "\n".join(broken)


def test_rules_catch_a_forbidden_import(tmp_path):
    """The checker itself: a lazy import of evaluation inside a parallel module is caught."""
    fake = tmp_path / "mod.py"
    fake.write_text("def f():\n    from evaluation.metrics import evaluate_run\n", encoding="utf-8")
    names = _imports(fake)
    assert names == {"evaluation.metrics", "evaluation.metrics.evaluate_run"}
    assert any(_under(n, f) for n in names for f in _forbidden("codeswitch.parallel.pairs"))
    assert _forbidden("codeswitch.records") == STAGES and _under("codeswitch.lexical.switch", "codeswitch.lexical")


def test_shared_core_is_only_shared_modules():
    core = {_module_name(p) for p in (REPO / "codeswitch").glob("*.py")} - {"codeswitch", "codeswitch.cli",
                                                                             "codeswitch._moved"}
    assert core == SHARED, "a new top-level codeswitch module belongs in lexical/, parallel/ or recipes/"


def test_no_torch_at_import():
    modules = [_module_name(p) for p in _sources()]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\n"
            "print(sorted(x for x in ('torch', 'transformers', 'sentence_transformers', 'faiss') if x in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize(("old", "new"), [("codeswitch.generate", "codeswitch.lexical.generate"),
                                          ("codeswitch.pairs", "codeswitch.parallel.pairs"),
                                          ("codeswitch.recipe", "codeswitch.recipes.runner")])
def test_old_module_names_still_import(old, new):
    code = ("import importlib, warnings\nwarnings.simplefilter('error', DeprecationWarning)\n"
            f"try:\n    importlib.import_module({old!r})\nexcept DeprecationWarning as w:\n    print(w)\n"
            "warnings.simplefilter('ignore')\n"
            f"print(importlib.import_module({old!r}) is importlib.import_module({new!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.splitlines() == [f"{old} moved to {new}; the old name goes away in codeswitch 0.3", "True"]


def test_old_name_leaves_the_real_module_intact():
    code = ("import importlib, warnings\nwarnings.simplefilter('ignore')\n"
            "import codeswitch.switch, codeswitch.lexical.switch as real\n"
            "print(real.__spec__.name, importlib.reload(real) is real)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["codeswitch.lexical.switch", "True"], out.stderr
