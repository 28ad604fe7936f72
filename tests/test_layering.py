# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The dependency rule of the repository, checked on the source (ASTs, nothing imported):

* ``modeling_spirit`` (the Hub package: inference, conversion) imports nothing else of this repository, and itself only
  relatively (the Hub's remote-code loader copies its files flat into a model folder);
* ``processing`` (data at scale, training of the speech components) imports only ``modeling_spirit``;
* ``hub_cards`` (cards rendered from plain data) imports at most ``modeling_spirit``;
* ``recipes`` (LM training, evaluation, the toy run, the demo, the ``spirit-lm`` command) may import all of them.

Also: no cycle between modules of the repository (module-level imports), no project-internal import inside a function
unless its line names the reason (``# heavy optional dependency: ...``, e.g. a module that imports ``trl`` at import
time), and no import string (``"processing.x:main"``, ``importlib.import_module("recipes.y")``) that smuggles an
upward import past the AST.
"""

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("modeling_spirit", "processing", "hub_cards", "recipes")
# What each package may import (besides itself).
ALLOWED: Dict[str, Set[str]] = {
    "modeling_spirit": set(),
    "processing": {"modeling_spirit"},
    "hub_cards": {"modeling_spirit"},
    "recipes": {"modeling_spirit", "processing", "hub_cards"},
}
HEAVY_MARK = re.compile(r"#.*heavy optional dependency", re.IGNORECASE)
IMPORT_STRING = re.compile(r"^(%s)(\.\w+)+(:\w+)?$|^(%s):\w+$" % ("|".join(PACKAGES), "|".join(PACKAGES)))

Violation = Tuple[str, int, str, str, str]  # (file, line, rule, imported module, message)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.AST, module: str, is_package: bool) -> List[str]:
    """The absolute module names an import statement names (``from a import b``: ``a.b`` and ``a``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [prefix] + [f"{prefix}.{a.name}" for a in node.names if a.name != "*"]


def _walk(tree: ast.AST) -> Iterator[Tuple[ast.AST, bool]]:
    """Every node with whether it sits inside a function."""
    stack = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        yield node, in_function
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def _docstrings(tree: ast.AST) -> Set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def check_layering(root: Path) -> Tuple[List[Violation], List[List[str]]]:
    """``(violations, cycles)`` of the tree at ``root``; every violation names its file, line and rule."""
    root = Path(root)
    files = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else []:
            files[_module_name(path, root)] = path
    violations: List[Violation] = []
    graph: Dict[str, Set[str]] = {m: set() for m in files}
    for module, path in files.items():
        rel = str(path.relative_to(root))
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, filename=rel)
        package = module.split(".")[0]
        is_package = path.name == "__init__.py"
        docstrings = _docstrings(tree)
        for node, in_function in _walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if IMPORT_STRING.match(node.value.strip()):
                    target = node.value.strip().split(":")[0].split(".")[0]
                    if target != package and target not in ALLOWED[package]:
                        violations.append((rel, node.lineno, "import string", node.value,
                                           f"{rel}:{node.lineno}: the string {node.value!r} names {target}, which "
                                           f"{package} may not import (rule: {_rule(package)})"))
                continue
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = _resolve(node, module, is_package)
            internal = [n for n in names if n.split(".")[0] in PACKAGES]
            if not internal:
                continue
            target = internal[0]
            top = target.split(".")[0]
            line = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else ""
            if top != package and top not in ALLOWED[package]:
                violations.append((rel, node.lineno, "upward import", target,
                                   f"{rel}:{node.lineno}: imports {target}; {package} may not import {top} "
                                   f"(rule: {_rule(package)})"))
            if package == "modeling_spirit" and top == package and not (isinstance(node, ast.ImportFrom) and node.level):
                violations.append((rel, node.lineno, "absolute import in modeling_spirit", target,
                                   f"{rel}:{node.lineno}: imports {target} absolutely; modeling_spirit imports itself "
                                   "only relatively (its files are copied flat into a Hub folder)"))
            if in_function:
                if not HEAVY_MARK.search(line):
                    violations.append((rel, node.lineno, "import inside a function", target,
                                       f"{rel}:{node.lineno}: imports {target} inside a function; import it at the "
                                       "top of the module, or name the heavy optional dependency that keeps it here "
                                       "in a `# heavy optional dependency: ...` comment on that line"))
                continue
            for name in names:
                if name in files and name != module:
                    graph[module].add(name)
    return violations, _cycles(graph)


def _rule(package: str) -> str:
    allowed = sorted(ALLOWED[package])
    return f"{package} imports " + (", ".join(allowed) if allowed else "nothing else of this repository")


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    out: List[List[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _report(violations: List[Violation], cycles: List[List[str]]) -> str:
    lines = [v[4] for v in violations]
    lines += [f"import cycle between {' <-> '.join(c)} (module-level imports; rule: imports only flow downward)"
              for c in cycles]
    return "\n".join(lines)


def test_imports_flow_downward():
    violations, cycles = check_layering(ROOT)
    report = _report(violations, cycles)
    assert not report, "layering rule broken:\n" + report


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_checker_catches_planted_violations(tmp_path):
    for package in PACKAGES:
        _write(tmp_path, f"{package}/__init__.py", "")
    _write(tmp_path, "modeling_spirit/model.py", "from processing.data import load\n"
                                                 "import modeling_spirit.config\n")
    _write(tmp_path, "modeling_spirit/config.py", "from .model import X\n")
    _write(tmp_path, "processing/data.py", "import json\n\n\ndef load():\n    from modeling_spirit import config\n"
                                           "    from modeling_spirit import model  # heavy optional dependency: torch\n"
                                           "    return json\n")
    _write(tmp_path, "processing/a.py", "from . import b\n")
    _write(tmp_path, "processing/b.py", "from processing import a\n")
    _write(tmp_path, "hub_cards/cards.py", '"""Made by recipes.toy.ship:main (a docstring, not code)."""\n'
                                           'COMMANDS = {"train": "recipes.toy.train:main"}\n')
    _write(tmp_path, "recipes/cli.py", "import hub_cards.cards\nimport processing.data\n"
                                       'MAIN = "processing.data:load"\n')
    violations, cycles = check_layering(tmp_path)
    got = {(v[0], v[1], v[2]) for v in violations}
    assert got == {
        ("modeling_spirit/model.py", 1, "upward import"),
        ("modeling_spirit/model.py", 2, "absolute import in modeling_spirit"),
        ("processing/data.py", 5, "import inside a function"),  # line 6 names its reason
        ("hub_cards/cards.py", 2, "import string"),
    }
    messages = "\n".join(v[4] for v in violations)
    assert "modeling_spirit/model.py:1: imports processing.data; modeling_spirit may not import processing " \
           "(rule: modeling_spirit imports nothing else of this repository)" in messages
    assert "hub_cards/cards.py:2: the string 'recipes.toy.train:main' names recipes" in messages
    assert sorted(cycles) == [["modeling_spirit.config", "modeling_spirit.model"], ["processing.a", "processing.b"]]
    report = _report(violations, cycles)
    assert "import cycle between processing.a <-> processing.b" in report


def test_exported_remote_code_is_inference_only():
    from modeling_spirit.hub_folder import remote_code_files

    files = remote_code_files()
    package = ROOT / "modeling_spirit"
    assert files and all(Path(f).resolve().parent == package for f in files)
    names = {Path(f).stem for f in files}
    assert not {n for n in names if re.search(r"cli|demo|tiny|toy", n)}, names
    for f in files:  # nothing it exports reaches outside the package
        tree = ast.parse(Path(f).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                assert node.module.split(".")[0] not in PACKAGES, (f, node.module)
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & set(PACKAGES), f
    assert not (package / "toy_model").exists() and not list(package.glob("*tiny*")) + list(package.glob("*demo*"))
