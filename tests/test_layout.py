"""The layout names the parts: faces use domains, domains never use faces, no circles."""
import ast
from pathlib import Path

from kiosk import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "kiosk"
FACES = ("kiosk.pupil", "kiosk.staff", "kiosk.cli")
DOMAINS = ("kiosk.content", "kiosk.safeguarding", "kiosk.accounts", "kiosk.devices",
           "kiosk.speech", "kiosk.voice")
# The platform at the root: it knows no domain and no face.
PLATFORM = ("kiosk.addresses", "kiosk.audit", "kiosk.backup", "kiosk.csrf", "kiosk.db",
            "kiosk.defaults", "kiosk.extensions", "kiosk.headers", "kiosk.jsonlimits",
            "kiosk.mailer", "kiosk.notify", "kiosk.server", "kiosk.throttle", "kiosk.ticker",
            "kiosk.tls")
# What puts the parts together (the app, its loaded services, its background jobs): these
# may import anything. The doctor checks the whole chain, so it reads every part.
ASSEMBLY = ("kiosk", "kiosk.services", "kiosk.jobs", "kiosk.errors", "kiosk.doctor")


def _name(path):
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Absolute names of the kiosk modules a file imports, at any depth in the file."""
    name = _name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.update(f"{target}.{a.name}" for a in node.names)
            found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {f for f in found if f == "kiosk" or f.startswith("kiosk.")}


def _graph():
    modules = {_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path) if m in modules and m != name}
    return graph


def _within(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_domain_or_platform_module_imports_a_face():
    wrong = [(m, i) for m, imports in _graph().items() for i in imports
             if _within(m, DOMAINS + PLATFORM) and _within(i, FACES)]
    assert wrong == []


def test_the_platform_imports_no_domain():
    wrong = [(m, i) for m, imports in _graph().items() for i in imports
             if _within(m, PLATFORM) and _within(i, DOMAINS)]
    assert wrong == []


def test_every_module_at_the_root_is_platform_or_assembly():
    """A new module at the root must say which it is, so the rules above cover it."""
    root = sorted(_name(p) for p in PACKAGE.iterdir()
                  if p.suffix == ".py" or (p / "__init__.py").exists())
    known = PLATFORM + ASSEMBLY + FACES + DOMAINS
    assert [m for m in root if m not in known] == []


def test_there_are_no_import_circles():
    graph = _graph()
    # A package's __init__ importing its own modules is not a circle back up.
    edges = {m: {i for i in imports if not m.startswith(i + ".")} for m, imports in graph.items()}
    circles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                circles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_every_folder_of_the_package_is_a_part_the_architecture_names():
    architecture = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
    folders = sorted(p.name for p in PACKAGE.iterdir()
                     if p.is_dir() and (p / "__init__.py").exists())
    assert [f for f in folders if f"kiosk/{f}/" not in architecture] == []
