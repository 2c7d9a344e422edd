"""The sandbox's imports run one way: http -> model -> query -> clock/faults, with no circles."""

from __future__ import annotations

import ast
from pathlib import Path

import qbo_sandbox

ROOT = Path(qbo_sandbox.__file__).parent
# Which top-level parts of qbo_sandbox each part may import (besides itself).
ALLOWED = {
    "clock": set(),
    "faults": set(),
    "oauth": set(),
    "query": {"clock", "faults"},
    "model": {"clock", "faults", "query"},
    "config": {"model"},
    "http": {"clock", "faults", "query", "model", "config", "oauth"},
    "__main__": {"config", "model", "http"},
    "__init__": {"config", "clock", "faults", "model", "http"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(["qbo_sandbox", *parts])


def _imports(path: Path) -> set[str]:
    """Every qbo_sandbox module ``path`` imports (also under TYPE_CHECKING and inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qbo_sandbox"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*candidate.split(".")[1:])).with_suffix(".py").exists()
                is_package = (ROOT / Path(*candidate.split(".")[1:]) / "__init__.py").exists()
                found.add(candidate if is_module or is_package else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("qbo_sandbox"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    return {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_parts_import_only_lower_parts() -> None:
    wrong = [
        f"{mod} imports {dep}"
        for mod, deps in _graph().items()
        for dep in deps
        if _part(dep) != _part(mod) and _part(dep) not in ALLOWED[_part(mod)] and dep != "qbo_sandbox"
    ]
    assert wrong == []


def test_no_import_circles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str], done: set[str]) -> None:
        if node in stack:
            cycles.append([*stack[stack.index(node) :], node])
            return
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            # A package's __init__ re-exporting its own modules is not a circle of behaviour.
            if node.startswith(dep + "."):
                continue
            visit(dep, [*stack, node], done)
        done.add(node)

    done: set[str] = set()
    for module in sorted(graph):
        visit(module, [], done)
    assert cycles == []
