"""The shape docs/architecture.md promises, checked with the project's own tools:

- no import cycle between the top-level packages (contract, app, connectors, ui, resources):
  the contract both faces need imports neither of them, and app/ never imports the window;
- no platform name used to branch on outside connectors/: what differs between POSes reaches
  app/ and ui/ only through the platform descriptor (login flow, branch field, sample shop).
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from connectors.registry import platform_keys

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("contract", "app", "connectors", "ui", "resources")


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_packages(path: Path) -> set[str]:
    """Top-level packages of ours that `path` imports, at module level or inside a function
    (a lazy import is still a dependency)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES)
    return found


def package_graph() -> dict[str, dict[str, str]]:
    """package → {imported package: one module that imports it (for the message)}."""
    graph: dict[str, dict[str, str]] = {package: {} for package in PACKAGES}
    for package in PACKAGES:
        for path in modules(package):
            for target in imported_packages(path) - {package}:
                graph[package].setdefault(target, module_name(path))
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    found, path = [], []

    def visit(node: str) -> None:
        if node in path:
            cycle = path[path.index(node):] + [node]
            if sorted(cycle[:-1]) not in [sorted(c[:-1]) for c in found]:
                found.append(cycle)
            return
        path.append(node)
        for target in sorted(graph[node]):
            visit(target)
        path.pop()

    for start in PACKAGES:
        visit(start)
    return found


def test_no_import_cycle_between_top_level_packages():
    graph = package_graph()
    problems = [", ".join(f"{a} → {b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:]))
                for cycle in cycles(graph)]
    assert problems == [], "import cycles between packages:\n" + "\n".join(problems)


def test_the_contract_imports_neither_face_nor_any_connector():
    assert set(package_graph()["contract"]) == set()


def test_the_command_line_and_the_engine_never_import_the_window():
    assert "ui" not in package_graph()["app"], package_graph()["app"].get("ui")


# -- platform names ----------------------------------------------------------------------------

def platform_words() -> set[str]:
    """Every key ("nhanh-v2"), its family ("nhanh") and its variant ("v2", "fnb")."""
    words: set[str] = set()
    for key in platform_keys():
        words.add(key)
        words.update(part for part in key.split("-") if part)
    return words


def branching_literals(path: Path, words: set[str], name: str = "") -> list[str]:
    """String literals naming a platform where they decide something: compared with ==/in,
    tested with startswith/endswith, or matched in a `case`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hits: list[str] = []

    def check(node: ast.AST, line: int) -> None:
        for leaf in ast.walk(node):
            if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                value = leaf.value.strip().lower()
                if value in words or any(value.startswith(f"{w}-") for w in words):
                    hits.append(f"{name or module_name(path)}:{line}: {leaf.value!r}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            check(node, node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith", "removeprefix", "removesuffix")):
            for arg in node.args:
                check(arg, node.lineno)
        elif isinstance(node, ast.MatchValue):
            check(node, node.lineno)
    return hits


FACES = [path for package in ("app", "ui") for path in modules(package)]


@pytest.mark.parametrize("path", FACES, ids=module_name)
def test_no_platform_name_decides_anything_outside_connectors(path):
    # Importing every module also proves each one loads on its own.
    importlib.import_module(module_name(path))
    assert branching_literals(path, platform_words()) == []


def test_the_platform_name_check_catches_the_old_branching(tmp_path):
    """The check above must fail on what ui/controllers/shop.py and the wizard used to do."""
    old = tmp_path / "old.py"
    old.write_text('def f(platform, key):\n'
                   '    if platform.key.startswith("nhanh"):\n'
                   '        return "2" if platform.key.endswith("v2") else "3"\n'
                   '    return key.startswith("kiotviet") or key == "sapo"\n', encoding="utf-8")
    hits = branching_literals(old, platform_words(), name="old")
    assert sorted(hit.split(": ", 1)[1] for hit in hits) == ["'kiotviet'", "'nhanh'", "'sapo'",
                                                             "'v2'"]


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_b01_sample_shop_credentials_end_the_platform_sandbox_import_circles():
    """A platform descriptor and its sandbox never import each other (the sample shop's
    credentials live with the sample shop)."""
    graph = {module_name(path): imported_modules(path) for path in modules("connectors")}
    circles = sorted(f"{a} ↔ {b}" for a, deps in graph.items() for b in deps
                     if a < b and a in graph.get(b, ()))
    assert circles == []


def test_every_rule_id_the_code_names_exists():
    """Rule IDs are one enum (contract/rules.py): a typo such as "KVF-16" in a result row or a
    caveat would point the owner at a rule that does not exist."""
    import re
    from contract.rules import RuleId
    pattern = re.compile(r"\b(?:COM|SAPO|KVF|NH|B)-\d{2}\b")
    unknown = sorted({f"{module_name(path)}: {rule}"
                      for package in ("app", "connectors", "ui", "contract")
                      for path in modules(package)
                      for rule in pattern.findall(path.read_text(encoding="utf-8"))
                      if rule not in {r.value for r in RuleId}})
    assert unknown == []


def test_the_engine_is_composed_and_links_change_only_through_the_ledger():
    """Pull and push are objects over one run context (no inherited attributes nobody owns);
    no engine module saves or deletes a link row itself (only the ledger does); no step keeps
    its state in a closure (`nonlocal`); an item's writes go to the run's explicit sink."""
    from app.sync.engine import SyncEngine
    from app.sync.pulling import PullSteps
    from app.sync.pushing import PushSteps
    assert SyncEngine.__mro__ == (SyncEngine, object)
    assert not issubclass(PullSteps, PushSteps) and not issubclass(PushSteps, PullSteps)
    offenders = []
    for name in ("pulling", "pushing", "steps", "engine", "undo", "page", "known"):
        path = ROOT / "app" / "sync" / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Nonlocal):
                offenders.append(f"{name}.py:{node.lineno}: nonlocal")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("save", "delete_instance")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "link"):
                offenders.append(f"{name}.py:{node.lineno}: link.{node.func.attr}()")
            # Where an item's rows go is the run's explicit sink (`ctx.writes`), never a mode
            # that an attribute such as the old `ctx.page` switches behind the caller's back.
            if (isinstance(node, ast.Attribute) and node.attr == "page"
                    and isinstance(node.value, ast.Name) and node.value.id == "ctx"):
                offenders.append(f"{name}.py:{node.lineno}: ctx.page")
    assert offenders == []


def test_the_window_builds_no_connector_transport_or_engine():
    """Only app/session.py assembles a run: ui/ asks it (through ShopServices / the sync
    controller) and never builds a connector, an httpx transport or an engine itself."""
    forbidden_imports = {"httpx", "app.sync.engine", "app.sync.connect", "app.sync.run_lock"}
    offenders = []
    for path in modules("ui"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in forbidden_imports:
                offenders.append(f"{module_name(path)}:{node.lineno}: from {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [f"{module_name(path)}:{node.lineno}: import {a.name}"
                              for a in node.names if a.name in forbidden_imports]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in ("transport", "open_connector", "build_connector")):
                offenders.append(f"{module_name(path)}:{node.lineno}: .{node.func.attr}()")
    assert offenders == []
