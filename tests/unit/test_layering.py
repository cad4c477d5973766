"""app/signing, the PSC client core and the domain import without Flask; app/ imports no development tool and
its import graph has no circle."""

import subprocess
import sys

MODULES = ["app.signing.hsm", "app.signing.ca", "app.signing.csr", "app.signing.pades", "app.signing.softhsm",
           "app.psc.oidc", "app.psc.claims", "app.psc.cps", "app.domain.identifiers", "app.domain.permissions",
           "app.domain.certificates", "app.documents.notice"]


def test_core_packages_do_not_need_flask():
    code = ("import sys; sys.modules['flask'] = None\n"
            + "".join(f"import {m}\n" for m in MODULES)
            + "assert 'flask' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def _app_imports() -> dict[str, set[str]]:
    """Every module of app/ (migrations aside) and what it imports, at its top or inside a function."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    modules = {}
    for path in (root / "app").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def known(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + [base] * bool(base))
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
        graph[name] = {known(f) if f.startswith("app") else f for f in found} - {name, ""}
    return graph


def test_nothing_in_app_imports_the_development_tools():
    graph = _app_imports()
    wrong = sorted((m, d) for m, deps in graph.items() for d in deps
                   if d.split(".")[0] in ("seeds", "psc_sandbox", "tests", "bench"))
    assert not wrong


def test_the_import_graph_of_app_has_no_circle():
    graph = _app_imports()
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(module):  # Tarjan: a strongly connected component of two modules or more is a circle
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.get(module, ()):
            if other not in graph:
                continue
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert not circles
