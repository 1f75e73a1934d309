"""The layout's rules, read from the source (ast; nothing is imported): no import cycle among the project's
modules, no source module over 600 lines, and imports point one way, portal → domain apps (backend.*) →
tenancy (tenants), never back.

The import graph holds every import a module runs, at the top or inside a function: a function-level import
still makes a cycle, it only hides it until the call. Imports under `if TYPE_CHECKING:` never run and are
left out. Migrations are left out (Django loads them by name)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backend", "portal", "tenants", "marketplace", "infra")
MAX_LINES = 600

# The composition root: the URLconfs the settings name and the server entry points wire every layer
# together (the platform's URLconf mounts the portal's rate-limited operator login), so they may import the
# portal.
COMPOSITION_ROOT = frozenset({"backend.urls_public", "backend.urls_tenant", "backend.asgi", "backend.wsgi"})

# What tenancy may use of backend/: infrastructure (the one error type, Celery, the API's throttles and health
# check, the settings), and the public-schema apps a company is founded on: identity (onboarding creates the
# company's first admin and membership; the websocket handshake reads the session's membership) and the audit
# trail (onboarding records itself). Never a domain app: properties, billing, payments, notifications, ...
TENANCY_MAY_IMPORT = frozenset(
    {
        "backend.errors",
        "backend.celery",
        "backend.api.throttling",
        "backend.api.health",
        # who the client is (the sign-up API records the address a privacy consent was given from)
        "backend.client_ip",
        "backend.accounts.models",
        "backend.accounts.roles",
        "backend.accounts.services",
        "backend.audit.context",
        "backend.audit.services",
    }
)
TENANCY_MAY_IMPORT_UNDER = ("backend.settings",)


def _moving_out(module: str) -> bool:
    """The demo seeders (tenants/demo*.py) are moving out of tenancy to their own package (issue 12); until
    they have, they are exempt from the direction rule by name."""
    return module.startswith("tenants.demo")


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    function_level: bool

    def __str__(self) -> str:
        where = "function-level" if self.function_level else "top-level"
        return f"{self.source}:{self.line} → {self.target} ({where})"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                modules[_module_name(path)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportFinder(ast.NodeVisitor):
    """Every import statement that runs, with whether it sits inside a function."""

    def __init__(self) -> None:
        self.found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
        self._depth = 0

    def _in_function(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = _in_function

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append((node, self._depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append((node, self._depth > 0))


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The project modules an import statement loads (the deepest module each name resolves to)."""
    modules = project_modules()
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, base] if base else parts)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module:
            yield name


@cache
def project_imports() -> tuple[Import, ...]:
    found = []
    for module, path in project_modules().items():
        finder = _ImportFinder()
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for node, function_level in finder.found:
            for target in _targets(module, path.name == "__init__.py", node):
                found.append(Import(module, target, node.lineno, function_level))
    return tuple(found)


def import_cycles(imports: tuple[Import, ...]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative), each sorted."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        graph.setdefault(i.source, set()).add(i.target)
        graph.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return sorted(components)


def _layer(module: str) -> str:
    return module.split(".")[0]


def test_no_import_cycle_among_the_projects_modules() -> None:
    imports = project_imports()
    report = []
    for cycle in import_cycles(imports):
        members = set(cycle)
        edges = sorted({str(i) for i in imports if i.source in members and i.target in members})
        report.append(f"cycle of {len(cycle)}: {', '.join(cycle)}\n    " + "\n    ".join(edges))
    assert not report, "import cycles (function-level imports included):\n" + "\n".join(report)


def test_no_source_module_is_over_600_lines() -> None:
    too_long = {}
    for path in project_modules().values():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[str(path.relative_to(ROOT))] = lines
    assert not too_long, f"modules over {MAX_LINES} lines (split them by what they hold): {too_long}"


def test_the_domain_apps_never_import_the_portal() -> None:
    back = sorted(
        {
            str(i)
            for i in project_imports()
            if _layer(i.source) == "backend" and _layer(i.target) == "portal" and i.source not in COMPOSITION_ROOT
        }
    )
    assert not back, "backend/ imports portal/ (the portal imports the apps, never the other way):\n" + "\n".join(back)


def test_tenancy_imports_nothing_of_the_apps_but_identity_audit_and_infrastructure() -> None:
    back = sorted(
        {
            str(i)
            for i in project_imports()
            if _layer(i.source) == "tenants"
            and _layer(i.target) in ("backend", "portal")
            and not _moving_out(i.source)
            and i.target not in TENANCY_MAY_IMPORT
            and not i.target.startswith(TENANCY_MAY_IMPORT_UNDER)
        }
    )
    assert not back, "tenants/ imports an app (tenancy is the bottom layer):\n" + "\n".join(back)


def test_the_graph_sees_function_level_imports_and_skips_type_checking_ones() -> None:
    """The rules above are only as good as the graph: a function-level import is an edge, marked as such, and
    an import under `if TYPE_CHECKING:` is none."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from backend.errors import ApplicationError\n"
        "if TYPE_CHECKING:\n"
        "    from backend.accounts.models import User\n"
        "def later():\n"
        "    from . import scope\n"
    )
    finder = _ImportFinder()
    finder.visit(ast.parse(source))
    found = {
        (target, function_level)
        for node, function_level in finder.found
        for target in _targets("backend.properties.services", False, node)
    }
    assert found == {("backend.errors", False), ("backend.properties.scope", True)}
    cycle = (
        Import("a", "b", 1, False),
        Import("b", "c", 1, True),
        Import("c", "a", 1, False),
        Import("c", "d", 1, False),
    )
    assert import_cycles(cycle) == [["a", "b", "c"]]


# What a write looks like in a view: the ORM's writes, a transaction or a row lock, the audit trail, a task
# enqueued. A portal view reads (selectors), checks a form and calls one service; the service holds the rules.
WRITE_METHODS = frozenset(
    {
        "save",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "select_for_update",
        "atomic",
        "on_commit",
        "delay",
        "apply_async",
        "send_task",
    }
)
WRITE_FUNCTIONS = frozenset({"audit_record", "atomic", "on_commit"})


def _writes_in(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            # Model.objects.create(...) / .objects.filter(...).delete(): a manager or queryset write.
            chain = ast.unparse(func.value)
            if func.attr in WRITE_METHODS or (func.attr in ("create", "delete", "update") and ".objects" in chain):
                found.append((node.lineno, ast.unparse(func)))
        elif isinstance(func, ast.Name) and func.id in WRITE_FUNCTIONS:
            found.append((node.lineno, func.id))
    return found


def test_portal_views_make_no_writes_of_their_own() -> None:
    writes = [
        f"{path.relative_to(ROOT)}:{line}: {call}"
        for module, path in project_modules().items()
        if _layer(module) == "portal"
        for line, call in _writes_in(path.read_text(encoding="utf-8"))
    ]
    assert not writes, "the portal writes outside a service (move it into backend/<app>/services):\n" + "\n".join(
        writes
    )


def test_the_write_rule_sees_the_writes_a_view_could_make() -> None:
    source = (
        "def view(request, job):\n"
        "    with transaction.atomic():\n"
        "        Person.objects.create(name='x')\n"
        "        Unit.objects.filter(pk=1).update(status='vacant')\n"
        "        audit_record(action='x')\n"
        "        transaction.on_commit(lambda: import_job_execute.delay(job.pk))\n"
        "    context.update(a=1)\n"  # a dict, not a write
        "    form.fields['x'].widget.attrs.update({'min': 1})\n"
    )
    calls = sorted(call for _line, call in _writes_in(source))
    assert calls == sorted(
        [
            "transaction.atomic",
            "Person.objects.create",
            "Unit.objects.filter(pk=1).update",
            "audit_record",
            "transaction.on_commit",
            "import_job_execute.delay",
        ]
    )
