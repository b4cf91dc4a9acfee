"""Imports point down only, and no module imports itself round a loop.

Layers, bottom to top: `core`; `events`; `registrations` and `notifications` beside each
other (the booking rules tell people through the notification layer, which reads
registrations); `feedback`, `staff` and `privacy`; the surfaces (views, admin, urls, the API,
management commands, template tags) on top. A module may import its own app, a lower
layer or an app beside it; only a surface may import a surface. The import graph,
counting imports inside functions too, has no cycle.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "openday"

LAYERS = {
    "core": 0,
    "events": 1,
    "registrations": 2,
    "feedback": 3,
    "staff": 3,
    "privacy": 3,
    "notifications": 2,
}
SURFACE_PARTS = {"views", "admin", "urls", "api", "management", "templatetags"}
# The project's own modules that wire everything together.
PROJECT_SURFACES = {"openday.urls", "openday.views", "openday.settings", "openday.wsgi"}
PROJECT_SURFACES |= {"openday.asgi", "openday"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every project module `name` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Imports only type checkers see are not imports at run time.
    hidden = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from package import module` imports the module, not just the package.
            submodules = [f"{module}.{alias.name}" for alias in node.names]
            targets = [target for target in submodules if target in known] or [module]
        else:
            continue
        found.update(target for target in targets if target in known and target != name)
    return found


def app_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def is_surface(name: str) -> bool:
    if name in PROJECT_SURFACES:
        return True
    return app_of(name) is None or bool(SURFACE_PARTS & set(name.split(".")[2:]))


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert apps - {"api"} <= set(LAYERS)


def test_imports_point_down():
    upward = []
    for name, targets in sorted(import_graph().items()):
        if is_surface(name):
            continue
        for target in sorted(targets):
            if is_surface(target) or LAYERS[app_of(target)] > LAYERS[app_of(name)]:
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_no_import_cycles():
    graph = import_graph()
    cycles = []
    state: dict[str, str] = {}

    def visit(name, trail):
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from openday.registrations.models import Registration", ["up"]),
        ("from openday.staff import scope", ["up"]),
        ("from openday.core.phone import mask_phone", []),
    ],
)
def test_layer_rule_catches_an_upward_import(source, expected, tmp_path):
    # The rule itself: an events module importing from above is reported.
    known = set(project_modules())
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    targets = imports_of("openday.events.probe", path, known)
    found = ["up" for target in targets if LAYERS[app_of(target)] > LAYERS["events"]]
    assert found == expected
