"""House rules for the layout of chalicelib/: no import circles between modules, no module over 600 lines.

The import graph is read with `ast`, not by importing anything. Every import statement counts, at
module level or inside a function (a lazy import that closes a loop is still a loop). Relative
imports are resolved against the importing module. `from pkg import name` is an edge to `pkg.name`
when that is a module and to `pkg` (its __init__) otherwise. A package's __init__ is a module of its
own: importing `pkg.sub` is an edge to `pkg.sub` only, not to `pkg` as well, so an __init__ that
re-exports its submodules does not by itself form a loop with them.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "chalicelib"
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def _packages(modules) -> set[str]:
    """Every dotted prefix that is a directory under chalicelib (namespace packages included)."""
    found = set()
    for name in modules:
        parts = name.split(".")
        for i in range(1, len(parts)):
            found.add(".".join(parts[:i]))
    return found


def _imports(name: str, path: Path, modules) -> set[str]:
    """The chalicelib modules that `name` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    targets = set()

    def add(dotted):
        # the longest prefix that is a module of ours: `chalicelib.a.b.Thing` -> `chalicelib.a.b`
        parts = dotted.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in modules:
                targets.add(candidate)
                return
            parts.pop()

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = name.split(".") if is_package else name.split(".")[:-1]
                base = here[:len(here) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    targets.add(submodule)
                else:
                    add(source)
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def import_cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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


def _describe(component, graph) -> str:
    members = set(component)
    edges = [f"    {a} -> {b}" for a in component for b in sorted(graph[a]) if b in members]
    return f"  {', '.join(component)}\n" + "\n".join(edges)


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert "chalicelib.sequences.engine" in graph and "chalicelib.console" in graph
    assert graph["chalicelib.sequences.engine"], "the engine imports something of ours"


def test_the_cycle_finder_finds_a_loop_and_ignores_a_chain():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_circles_in_chalicelib():
    graph = import_graph()
    cycles = import_cycles(graph)
    assert not cycles, "import circles in chalicelib/:\n" + "\n".join(_describe(c, graph) for c in cycles)


def test_no_module_over_600_lines():
    offenders = []
    for name, path in _modules().items():
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            offenders.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not offenders, f"modules over {MAX_LINES} lines:\n  " + "\n  ".join(offenders)


# -- the dependencies issue 23 turned one way -------------------------------------------------

def _reach(graph, start: str) -> set[str]:
    seen, todo = set(), [m for m in graph if m == start or m.startswith(start + ".")]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _inside(modules, package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


def test_content_knows_no_sequences():
    """Sequences name templates and ask content to check them; content never reaches back."""
    assert _inside(_reach(import_graph(), "chalicelib.content"), "chalicelib.sequences") == []


def test_nothing_deployed_reaches_the_local_stack():
    """The local stack (its routes included) uses the app's packages; none of them uses it back,
    so the packages do not form a circle either (the local routes once lived in api/)."""
    graph = import_graph()
    for package in ("chalicelib.console", "chalicelib.api", "chalicelib.services", "chalicelib.store",
                    "chalicelib.domain", "chalicelib.triggers", "chalicelib.sequences", "chalicelib.content"):
        assert _inside(_reach(graph, package), "chalicelib.local") == [], package


def test_no_rule_module_imports_the_registry():
    graph = import_graph()
    registry = "chalicelib.triggers.registry"
    assert [m for m in _inside(graph, "chalicelib.triggers") if registry in graph[m]] == []


def test_the_registry_lists_every_module_with_rules():
    from chalicelib.triggers import registry

    listed = {m.__name__ for m in registry.rule_modules()}
    with_rules = set()
    for name in _inside(_modules(), "chalicelib.triggers"):
        source = (ROOT / (name.replace(".", "/") + ".py")).read_text()
        if "@trigger(" in source:
            with_rules.add(name)
    assert with_rules == listed
    assert all(registry.rules_of(m) for m in registry.rule_modules())
