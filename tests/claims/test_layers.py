"""The engine's layers: tasks are thin adapters at the top; the sweep and the outbox sit
below them and never import the tasks or the services (no import circle)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(module: str) -> set[str]:
    path = ROOT / (module.replace(".", "/") + ".py")
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .x import y
                package = module.rsplit(".", node.level)[0]
                base = f"{package}.{base}" if base else package
                names.update(f"{base}.{a.name}" for a in node.names)
            names.add(base)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_the_engine_modules_import_neither_tasks_nor_services():
    for module in ("claims.notifications", "claims.outbox", "claims.deadlines", "claims.clocks"):
        imported = imported_modules(module)
        assert not {"claims.tasks", "claims.services", "reviews.services"} & imported, module


def test_only_the_app_config_and_the_tasks_know_the_tasks_module():
    users = []
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("tests", ".venv", "bench") or "migrations" in rel.parts:
            continue
        module = ".".join(rel.with_suffix("").parts)
        if "claims.tasks" in imported_modules(module):
            users.append(module)
    assert sorted(users) == ["claims.apps"]
