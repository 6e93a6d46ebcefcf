"""The package's shape (issue 11): layer order, no import cycle, a pure gan/, short files, docstrings.

Every module under backend/gandojo is parsed with `ast`; every import counts, including the lazy
ones inside functions and under `if TYPE_CHECKING:`. The checkers are plain functions over a module
graph, so the last tests feed them small synthetic graphs that must fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "backend" / "gandojo"
FRONTEND = ROOT / "frontend"
MAX_LINES = 350

# The layers, lowest first: a module may import its own layer and the ones below, never above.
LAYERS = {"gandojo": 0, "settings": 0, "fileio": 0, "datasets": 0, "lessons": 0,
          "gan": 1, "engine": 2, "cluster": 3, "api": 4, "cli": 5, "__main__": 6}
# What gan/ (tensors in, tensors out) must not import: web, network, files, images, threads, IO.
GAN_FORBIDDEN = {"os", "pathlib", "tempfile", "urllib", "http", "socket", "PIL", "safetensors",
                 "asyncio", "threading", "fastapi", "starlette", "uvicorn", "json", "gzip", "io",
                 "gandojo.fileio"}

Graph = dict[str, set[str]]  # module -> every module or external top-level name it imports


# ------------------------------------------------------------------ reading the package
def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Every name `source` imports: internal modules fully resolved (`from .a import b` is the
    module `pkg.a.b` when that is a module, else `pkg.a`), external ones as written."""
    package = module if is_package else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = {f"{target}.{a.name}" for a in node.names} & known
            out |= subs or {target}
    return out


def package_graph(root: Path = PACKAGE) -> tuple[Graph, dict[str, Path]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(files)
    graph = {m: imports_of(p.read_text(), m, p.name == "__init__.py", known) for m, p in files.items()}
    return graph, files


# ------------------------------------------------------------------ the checkers
def internal(graph: Graph, prefix: str = "gandojo") -> Graph:
    """Only the edges between modules of the graph (external imports dropped)."""
    return {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()
            if m == prefix or m.startswith(prefix + ".")}


def layer_of(module: str, layers: dict[str, int] = LAYERS) -> int | None:
    parts = module.split(".")
    return layers.get(parts[1] if len(parts) > 1 else parts[0])


def upward_imports(graph: Graph, layers: dict[str, int] = LAYERS) -> list[str]:
    """'a -> b' for every import of a higher layer (and every module in no layer)."""
    bad = []
    for m, targets in sorted(internal(graph).items()):
        if layer_of(m, layers) is None:
            bad.append(f"{m}: in no layer (add its package to LAYERS)")
            continue
        bad += [f"{m} -> {t}" for t in sorted(targets)
                if layer_of(t, layers) is not None and layer_of(t, layers) > layer_of(m, layers)]
    return bad


def cycles(graph: Graph) -> list[list[str]]:
    """The import cycles of the graph: one list of modules per strongly connected component
    of more than one module (Tarjan), each sorted."""
    g = internal(graph)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def forbidden_in_gan(graph: Graph, forbidden: set[str] = GAN_FORBIDDEN) -> list[str]:
    """'module imports name' for every forbidden import of a gandojo.gan module."""
    bad = []
    for m, targets in sorted(graph.items()):
        if m == "gandojo.gan" or m.startswith("gandojo.gan."):
            for t in sorted(targets):
                if t in forbidden or t.split(".")[0] in forbidden or any(
                        t.startswith(f + ".") for f in forbidden):
                    bad.append(f"{m} imports {t}")
    return bad


def long_files(paths: list[Path], limit: int = MAX_LINES) -> list[str]:
    return [f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}: {n} lines" for p in paths
            if (n := len(p.read_text().splitlines())) > limit]


def missing_docstrings(files: dict[str, Path]) -> list[str]:
    return [m for m, p in sorted(files.items())
            if not (ast.get_docstring(ast.parse(p.read_text())) or "").strip()]


# ------------------------------------------------------------------ the package
@pytest.fixture(scope="module")
def package():
    return package_graph()


def test_the_graph_sees_lazy_and_relative_imports(package):
    graph, files = package
    assert len(files) > 50
    # engine/checkpoint.py imports its image twin relatively; cli/ imports engine inside functions
    assert "gandojo.engine.image_checkpoint" in graph["gandojo.engine.checkpoint"]
    assert any(t.startswith("gandojo.engine") for t in graph["gandojo.cli.images"])
    assert "torch" in graph["gandojo.gan.trainer"]


def test_no_module_imports_a_higher_layer(package):
    assert upward_imports(package[0]) == []


def test_no_import_cycle_lazy_imports_included(package):
    assert cycles(package[0]) == []


def test_gan_imports_no_web_network_file_or_thread_module(package):
    assert forbidden_in_gan(package[0]) == []


def test_no_file_over_350_lines(package):
    js = [p for p in FRONTEND.rglob("*.js") if "vendor" not in p.parts]
    assert long_files(sorted(package[1].values()) + sorted(js)) == []


def test_every_module_has_a_docstring(package):
    assert missing_docstrings(package[1]) == []


# ------------------------------------------------------------------ the checkers can fail
def test_the_checkers_catch_synthetic_faults(tmp_path):
    pkg = tmp_path / "gandojo"
    for rel, text in {"__init__.py": '"""p."""\n', "gan/__init__.py": '"""g."""\n',
                      "gan/core.py": '"""c."""\nimport os\n\ndef f():\n    from ..engine import run\n',
                      "engine/__init__.py": "", "engine/run.py": '"""r."""\nfrom ..gan import core\n',
                      "api/__init__.py": '"""a."""\n', "api/x.py": '"""x."""\nfrom . import y\n',
                      "api/y.py": '"""y."""\ndef g():\n    from .x import thing\n',
                      "misc/__init__.py": '"""m."""\n'}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    graph, files = package_graph(pkg)
    assert graph["gandojo.gan.core"] == {"os", "gandojo.engine.run"}  # the lazy import is seen
    assert upward_imports(graph) == ["gandojo.gan.core -> gandojo.engine.run",
                                     "gandojo.misc: in no layer (add its package to LAYERS)"]
    assert cycles(graph) == [["gandojo.api.x", "gandojo.api.y"],
                             ["gandojo.engine.run", "gandojo.gan.core"]]
    assert forbidden_in_gan(graph) == ["gandojo.gan.core imports os"]
    assert missing_docstrings(files) == ["gandojo.engine"]
    (pkg / "api" / "y.py").write_text('"""y."""\n' + "x = 1\n" * MAX_LINES)
    assert [s.split(": ")[1] for s in long_files([pkg / "api" / "y.py"])] == [f"{MAX_LINES + 1} lines"]


def test_forbidden_names_match_submodules_only_by_dots():
    graph = {"gandojo.gan.a": {"urllib.request", "iota", "osmium", "gandojo.fileio"}}
    assert forbidden_in_gan(graph) == ["gandojo.gan.a imports gandojo.fileio",
                                       "gandojo.gan.a imports urllib.request"]
