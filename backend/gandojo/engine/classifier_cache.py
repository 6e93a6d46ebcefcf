"""The feature classifier's cache on disk: one safetensors file per data source (weights + metadata).

String metadata: format, dataset, source, counts, test accuracy, epochs; loading it never unpickles
anything. `cached_classifier` loads it, or trains the LeNet (`gan.images.classifier`) once and
writes it atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save

from ..datasets.idx import DataError
from ..datasets.images import load_split, resolve_source
from ..datasets.paths import data_dir
from ..fileio import HeaderError, atomic_write, read_header
from ..gan.images.classifier import VERSION, FeatureClassifier, LeNet, Progress, fit_classifier


MAX_BYTES = 16 * 1024 * 1024  # a LeNet cache is about 0.5 MB


def cache_path(dataset: str, source: str, root: str | os.PathLike | None = None) -> Path:
    """Where the classifier of `source` of `dataset` is cached in the data directory."""
    return data_dir(root) / "classifiers" / f"{dataset}-{source}-{VERSION}.safetensors"


def save_classifier(fc: FeatureClassifier, path: str | os.PathLike) -> Path:
    """Weights and metadata as one safetensors file, written atomically."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in fc.model.state_dict().items()}
    meta = {"format": VERSION, "dataset": fc.dataset, "source": fc.source, "n_train": str(fc.n_train),
            "n_test": str(fc.n_test), "test_accuracy": repr(fc.test_accuracy), "epochs": str(fc.epochs),
            "n_classes": str(fc.model.fc2.out_features)}
    return atomic_write(path, save(tensors, metadata=meta))


def load_classifier(path: str | os.PathLike, device: str | torch.device = "cpu") -> FeatureClassifier:
    """A cached classifier; DataError naming the file when it is not a valid one."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DataError(f"{path}: larger than {MAX_BYTES} bytes; not a classifier cache")
        blob = path.read_bytes()
        meta = read_header(blob, (VERSION,))["__metadata__"]  # format checked
        tensors = st_load(blob)
        model = LeNet(int(meta["n_classes"]))
        model.load_state_dict(tensors, strict=True)
        return FeatureClassifier(model.to(device).eval(), meta["dataset"], meta["source"],
                                 int(meta["n_train"]), int(meta["n_test"]),
                                 float(meta["test_accuracy"]), int(meta["epochs"]))
    except (HeaderError, SafetensorError, OSError, KeyError, ValueError, RuntimeError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: not a usable classifier cache ({exc}); delete it to retrain") from None


def cached_classifier(dataset: str = "mnist", root: str | os.PathLike | None = None,
                      device: str | torch.device = "cpu", progress: Progress | None = None,
                      retrain: bool = False, epochs: int | None = None) -> FeatureClassifier:
    """The feature network for the best available source of `dataset`: loaded from the cache, or
    trained on its train split, tested on its test split and cached (once)."""
    info = resolve_source(dataset, root)
    path = cache_path(dataset, info.source, root)
    if path.is_file() and not retrain:
        fc = load_classifier(path, device)
        if (fc.n_train, fc.n_test) == (info.train_count, info.test_count):
            return fc
    train = load_split(dataset, "train", root, info.source)
    test = load_split(dataset, "test", root, info.source)
    fc = fit_classifier(train, test, epochs, device=device, progress=progress)
    save_classifier(fc, path)
    return fc
