"""The package layout's import rules (see each package's ``__init__`` docstring), read from the source.

Every ``import`` and ``from ... import`` is checked, including those inside functions (lazy imports
count: a lazy import across a forbidden edge is still a dependency). The same import graph must have
no circle. A second test imports every module and checks that none pulls in torch at import time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = {"codeswitch." + m for m in ("records", "example_io", "errors", "languages", "atomic", "tokenize", "options",
                                     "quiet")}
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


# evaluation's rooms: what each may never import (besides what every evaluation module may not)
EVAL_TOP = ("evaluation.evaluate", "evaluation.compare", "evaluation.cli")
EVAL_ROOMS = {
    "evaluation.collections": ("evaluation.encoding", "evaluation.retrieval", "evaluation.scoring",
                               "evaluation.reports", *EVAL_TOP),
    "evaluation.encoding": ("evaluation.collections", "evaluation.retrieval", "evaluation.scoring",
                            "evaluation.reports", *EVAL_TOP),
    "evaluation.scoring": ("evaluation.encoding", "evaluation.retrieval", "evaluation.reports", *EVAL_TOP),
    "evaluation.retrieval": ("evaluation.reports", *EVAL_TOP),
    "evaluation.reports": ("evaluation.encoding", "evaluation.retrieval", *EVAL_TOP),
    "evaluation.trec_io": ("evaluation.collections", "evaluation.encoding", "evaluation.retrieval",
                           "evaluation.scoring", "evaluation.reports", *EVAL_TOP),
}
MODEL_LIBS = ("torch", "transformers", "sentence_transformers", "faiss", "onnxruntime", "optimum", "openvino")


def _evaluation_forbidden(module: str) -> tuple[str, ...]:
    for room, forbidden in EVAL_ROOMS.items():
        if _under(module, room):
            if module == "evaluation.collections.base":  # the task types import no family and no registry
                return (*forbidden, *(f for f in _collection_modules() if f != module))
            if _under(module, "evaluation.collections") and module != "evaluation.collections.registry":
                return (*forbidden, "evaluation.collections.registry")
            return forbidden
    return ()


def _collection_modules() -> tuple[str, ...]:
    return tuple(_module_name(p) for p in sorted((REPO / "evaluation" / "collections").glob("*.py"))
                 if p.name != "__init__.py")


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
        return ("training", "codeswitch.lexical", "codeswitch.parallel", "codeswitch.recipes", "codeswitch.cli",
                *_evaluation_forbidden(module))
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


def _third_party(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    return {n for n in names if n.split(".")[0] in MODEL_LIBS}


def test_scoring_imports_no_model_code():
    found = {f"{_module_name(p)} imports {n}" for p in sorted((REPO / "evaluation" / "scoring").glob("*.py"))
             for n in _third_party(p)}
    assert not found, "\n".join(sorted(found))


def _graph(paths: list[Path], root: Path = REPO) -> dict[str, set[str]]:
    """module -> the first-party modules it imports (lazy imports included), among ``paths`` (rooted at ``root``).

    ``from pkg import name`` is an edge to ``pkg.name`` where that is a module, else to ``pkg``; importing
    ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, so those are edges too.
    """
    names = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p for p in paths}
    graph: dict[str, set[str]] = {}
    for module, path in names.items():
        edges: set[str] = set()
        for name in _imports(path):
            target = name if name in names else name.rsplit(".", 1)[0]
            parts = target.split(".")
            edges.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        graph[module] = {e for e in edges if e in names and e != module and not _under(module, e)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (``[a, b, ..., a]``), or None (depth-first search, sorted order)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_circle():
    cycle = find_cycle(_graph(_sources()))
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_cycle_check_sees_lazy_imports(tmp_path):
    """The circle of 0.2 (datasets -> collection -> datasets, held together by a function-level import) is found."""
    pkg = tmp_path / "evaluation"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "datasets.py").write_text("from evaluation.collection import CollectionTask\n", encoding="utf-8")
    (pkg / "collection.py").write_text("def f():\n    from evaluation.datasets import check_langs\n",
                                       encoding="utf-8")
    (pkg / "trec_io.py").write_text("import numpy\n", encoding="utf-8")
    graph = _graph(sorted(pkg.glob("*.py")), tmp_path)
    assert find_cycle(graph) == ["evaluation.collection", "evaluation.datasets", "evaluation.collection"]
    (pkg / "collection.py").write_text("from evaluation import trec_io\n", encoding="utf-8")
    assert find_cycle(_graph(sorted(pkg.glob("*.py")), tmp_path)) is None


def test_evaluation_modules_stay_small_and_few_stay_flat():
    sizes = {_module_name(p): len(p.read_text(encoding="utf-8").splitlines())
             for p in (REPO / "evaluation").rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > 300} == {}
    flat = {_module_name(p) for p in (REPO / "evaluation").glob("*.py")} - {"evaluation"}
    assert flat == {"evaluation.trec_io", "evaluation.evaluate", "evaluation.compare", "evaluation.cli"}


def test_a_collection_family_is_one_module_and_one_registry_entry():
    from evaluation.collections.registry import FAMILIES

    families = {m.__name__ for m in FAMILIES.values()}
    helpers = {"evaluation.collections.base", "evaluation.collections.registry", "evaluation.collections.release"}
    assert families == set(_collection_modules()) - helpers
    for module in set(FAMILIES.values()):
        for attr in ("IDS", "FORMS", "NOTE", "TABLE_METRICS", "EXTRA_MEASURES", "parse", "load"):
            assert hasattr(module, attr), f"{module.__name__} lacks {attr}"


def test_rules_catch_a_forbidden_import(tmp_path):
    """The checker itself: a lazy import of evaluation inside a parallel module is caught."""
    fake = tmp_path / "mod.py"
    fake.write_text("def f():\n    from evaluation.scoring.metrics import evaluate_run\n", encoding="utf-8")
    names = _imports(fake)
    assert names == {"evaluation.scoring.metrics", "evaluation.scoring.metrics.evaluate_run"}
    assert any(_under(n, f) for n in names for f in _forbidden("codeswitch.parallel.pairs"))
    assert _forbidden("codeswitch.records") == STAGES and _under("codeswitch.lexical.switch", "codeswitch.lexical")
    # evaluation's rooms: a collection never reaches scoring, even lazily; a family never reaches the registry
    assert "evaluation.scoring" in _forbidden("evaluation.collections.tydi")
    assert "evaluation.collections.registry" in _forbidden("evaluation.collections.beir")
    assert "evaluation.collections.tydi" in _forbidden("evaluation.collections.base")
    assert "evaluation.retrieval" in _forbidden("evaluation.reports.tables")


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


@pytest.mark.parametrize(("old", "new", "until"), [
    ("codeswitch.generate", "codeswitch.lexical.generate", "0.3"),
    ("codeswitch.pairs", "codeswitch.parallel.pairs", "0.3"),
    ("codeswitch.recipe", "codeswitch.recipes.runner", "0.3"),
    ("evaluation.datasets", "evaluation.collections.registry", "0.4"),
    ("evaluation.retrieve", "evaluation.retrieval.models", "0.4"),
    ("evaluation.lareqa_eval", "evaluation.scoring.lareqa", "0.4"),
    ("evaluation.reproduce", "evaluation.reports.check_scores", "0.4"),
])
def test_old_module_names_still_import(old, new, until):
    code = ("import importlib, warnings\nwarnings.simplefilter('error', DeprecationWarning)\n"
            f"try:\n    importlib.import_module({old!r})\nexcept DeprecationWarning as w:\n    print(w)\n"
            "warnings.simplefilter('ignore')\n"
            f"print(importlib.import_module({old!r}) is importlib.import_module({new!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.splitlines() == [f"{old} moved to {new}; the old name goes away in codeswitch {until}", "True"]


def test_old_name_leaves_the_real_module_intact():
    code = ("import importlib, warnings\nwarnings.simplefilter('ignore')\n"
            "import codeswitch.switch, codeswitch.lexical.switch as real\n"
            "print(real.__spec__.name, importlib.reload(real) is real)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["codeswitch.lexical.switch", "True"], out.stderr
