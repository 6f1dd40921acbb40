"""The house's shape, checked: imports point down the layers, no cycle, small modules and functions.

Layers, lowest first: the contract and errors; the model (plain frozen data, whose threshold
definitions the spec schema reads); reading the spec; resolving it; the
catalogue and PromQL; rendering and writing; the compile edge; the runtime (exporter, library);
the tools (report, demo stack); the command line. An import may reach its own layer or below,
never above, and function-local imports count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

LAYERS = [
    ("generator.names", "generator.durations", "generator.errors", "generator.policy", "generator"),
    ("generator.model", "generator.deploy_model", "generator.sources_model"),
    ("generator.spec",),
    ("generator.resolve", "generator.load"),
    ("generator.promql", "generator.catalogue"),
    ("generator.render", "generator.serialise", "generator.output"),
    ("generator.build",),
    ("exporter",),
    ("generator.prometheus_api", "generator.report", "generator.stack", "generator.backfill", "generator.review", "generator.doctor"),
    ("generator.cli_common",),
    ("generator.cli", "generator.cli_review", "generator.__main__"),
]
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
# Data, not logic: long literal tables are fine (the dashboard panels, the seed's scenario table).
LONG_BY_DESIGN = {"generator/render/dashboards.py:overview", "generator/render/dashboards.py:team"}


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("generator", "exporter"):
        for p in sorted((ROOT / top).rglob("*.py")):
            parts = p.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = p
    return out


def _layer(module: str) -> int:
    for i, prefixes in enumerate(LAYERS):
        if module in prefixes or any(p != "generator" and module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py")


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def test_every_import_points_down():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        for dep in _imports(path, modules):
            if dep != name and not name.startswith(dep + ".") and _layer(dep) > _layer(name):
                upward.append(f"{name} (layer {_layer(name)}) imports {dep} (layer {_layer(dep)})")
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    modules = _modules()
    graph = {name: {d for d in _imports(path, modules) if d != name and not name.startswith(d + ".")}
             for name, path in modules.items()}
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " -> ".join(trail + [node, dep]))
            if dep not in state:
                visit(dep, trail + [node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_modules_and_functions_stay_small():
    too_long = []
    for name, path in _modules().items():
        rel = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{rel}: {lines} lines")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{rel}:{node.name}" not in LONG_BY_DESIGN:
                    too_long.append(f"{rel}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, "\n".join(too_long)


def _public(tree: ast.Module):
    """Module-level functions and classes, and the methods of those classes (not nested helpers)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            yield node
        if isinstance(node, ast.ClassDef):
            yield from (m for m in node.body if isinstance(m, ast.FunctionDef))


def test_every_public_function_has_a_docstring():
    missing = []
    for name, path in _modules().items():
        for node in _public(ast.parse(path.read_text())):
            if not node.name.startswith("_") and ast.get_docstring(node) is None and not _is_override(node):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not missing, "\n".join(missing)


def _is_override(node) -> bool:
    """Methods of a base class's protocol (collect, check, do_POST...) are documented by the base."""
    return node.name in {"collect", "check", "json_schema", "to_json_data", "options_json", "defaults_json", "show",
                         "process_request", "server_close", "do_POST", "do_GET", "log_message", "handle_DATA"}
