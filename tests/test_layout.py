"""The package's shape, checked from the source (``ast``), not from a picture of it.

Data flows one way (design.md, section 3):

    config, runtime, artifacts, datasets, posembed -> tokens, masks -> vit -> jepa, losses, mae
    -> evaluate, dynamics, physics, family, planning -> train (engine) -> tasks -> plots -> widgets
    -> checks, bench, CLIs

``dynamics``, ``physics``, ``family`` (the JEPA family's models and probes) and ``planning`` (world
models and planners) are models with their own measures (they use ``evaluate``), so they sit beside it.
Every ``__main__`` module (and a ``python -m`` entry under ``if __name__ == "__main__":``)
is a command line: the top. ``artifacts`` sits low, beside ``runtime``: it knows no task (tasks are
passed in).

Fails on: an import of a higher layer, a private name (``_x``) of another ``jepa_lab`` module
(imported, or read as ``module._x``), an import cycle, a module over ``MAX_LINES`` lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "jepa_lab"
MAX_LINES = 350
LAYERS = [
    {"__init__", "config", "threads", "runtime", "artifacts", "datasets", "posembed"},
    {"tokens", "masks"},
    {"vit"},
    {"jepa", "losses", "mae"},
    {"evaluate", "probes", "dynamics", "physics", "latent_physics", "family", "planning"},
    {"train"},
    {"tasks"},
    {"plots"},
    {"widgets"},
    {"checks", "solutions", "bench", "collapse", "__main__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}
CLI = len(LAYERS) - 1


def modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ("jepa_lab",) + path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = modules()


def layer(module: str) -> int:
    """The layer of a dotted module name (the group is its first component under ``jepa_lab``)."""
    parts = module.split(".")
    if parts[-1] == "__main__":
        return CLI
    group = parts[1] if len(parts) > 1 else "__init__"
    if group not in LAYER:
        raise AssertionError(f"{module} is in no layer: add {group!r} to LAYERS in tests/test_layout.py")
    return LAYER[group]


def _is_main_guard(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__")


def _walk(tree: ast.AST):
    """Every node, skipping the body of ``if __name__ == "__main__":`` (a command line: the top layer)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not _is_main_guard(c))


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """``(imported jepa_lab module, name taken from it or None, line)`` for every import in ``module``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in _walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.startswith("jepa_lab")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("jepa_lab"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((sub, None, node.lineno) if sub in MODULES else (base, alias.name, node.lineno))
    return sorted(out, key=lambda x: (x[2], x[0]))


def private_reads(module: str) -> list[tuple[str, int]]:
    """``alias._name`` reads where ``alias`` is a ``jepa_lab`` module imported into ``module``."""
    tree = ast.parse(MODULES[module].read_text())
    aliases = {}
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            aliases.update({(a.asname or a.name.split(".")[0]): a.name for a in node.names
                            if a.name.startswith("jepa_lab") and a.asname})
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jepa_lab"):
            aliases.update({(a.asname or a.name): f"{node.module}.{a.name}" for a in node.names
                            if f"{node.module}.{a.name}" in MODULES})
    return sorted((f"{aliases[n.value.id]}.{n.attr}", n.lineno) for n in _walk(tree)
                  if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases
                  and n.attr.startswith("_") and not n.attr.startswith("__"))


# Other engineers' modules that fail a rule today, each with why; delete a line once it passes.
KNOWN = {
    # "module": "rule: reason",
}


def _check(module: str, rule: str) -> None:
    if module in KNOWN and KNOWN[module].startswith(rule):
        pytest.xfail(KNOWN[module])


def upward(module: str) -> list[str]:
    """Imports of ``module`` from a higher layer."""
    return [f"line {line}: {target} (layer {layer(target)})" for target, _, line in imports(module)
            if layer(target) > layer(module)]


def privates(module: str) -> list[str]:
    """Private names of other modules that ``module`` imports or reads."""
    bad = [f"line {line}: {target}.{name}" for target, name, line in imports(module)
           if name and name.startswith("_") and not name.startswith("__") and target != module]
    return bad + [f"line {line}: {name}" for name, line in private_reads(module)]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                found.append(sorted(component))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return found


def import_graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_layer(module):
    _check(module, "layer")
    bad = upward(module)
    assert not bad, f"{module} (layer {layer(module)}) imports from above: {bad}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_crosses_modules(module):
    _check(module, "private")
    bad = privates(module)
    assert not bad, f"{module} uses private names of other modules: {bad}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_too_long(module):
    _check(module, "long")
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (> {MAX_LINES}): split it"


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, f"import cycles: {found}"


def test_the_checker_catches_each_fault(tmp_path, monkeypatch):
    """A module breaking every rule is caught (a checker that sees nothing would pass everything)."""
    fake = tmp_path / "fake.py"
    fake.write_text("import jepa_lab.artifacts as art\n"
                    "from jepa_lab import train\n"
                    "from jepa_lab.vit import _Positions\n"
                    "from . import core\n"
                    "def f():\n    from jepa_lab.tasks import ijepa\n    return art._secret, ijepa\n"
                    "if __name__ == '__main__':\n    from jepa_lab.widgets import core as w\n")
    monkeypatch.setitem(MODULES, "jepa_lab.masks.fake", fake)
    assert upward("jepa_lab.masks.fake") == ["line 2: jepa_lab.train (layer 5)", "line 3: jepa_lab.vit (layer 2)",
                                             "line 6: jepa_lab.tasks.ijepa (layer 6)"]
    assert privates("jepa_lab.masks.fake") == ["line 3: jepa_lab.vit._Positions",
                                               "line 7: jepa_lab.artifacts._secret"]
    assert ("jepa_lab.masks.core", None, 4) in imports("jepa_lab.masks.fake")  # relative imports resolve
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer("jepa_lab.train.__main__") == CLI and layer("jepa_lab.tasks.ijepa") < CLI
