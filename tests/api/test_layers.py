"""api/ sits on engine/: it imports no gan/ module and nothing lazily (no cycles at all, package-wide:
tests/test_structure.py)."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "backend" / "gandojo" / "api"


def _module(path: Path) -> str:
    parts = path.relative_to(API.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(absolute module imported, whether at module level) for every import in `path`."""
    tree, here = ast.parse(path.read_text()), _module(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            names = [name] + [f"{name}.{a.name}" for a in node.names]
            out += [(n, id(node) in top) for n in names]
        elif isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
    return out


FILES = sorted(API.rglob("*.py"))


def test_api_imports_no_gan_module():
    assert any(p.parent.name == "routes" for p in FILES)  # the walk sees the routes package
    bad = [(p.name, m) for p in FILES for m, _ in _imports(p) if m.startswith("gandojo.gan")]
    assert not bad, f"api/ must reach gan/ through engine/: {bad}"


def test_api_has_no_lazy_imports():
    lazy = [(p.name, m) for p in FILES for m, at_top in _imports(p) if not at_top]
    assert not lazy, lazy
