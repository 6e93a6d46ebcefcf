"""Which datasets each session kind trains on (names only): one answer for sessions and the registry."""

from __future__ import annotations

from ..datasets.images import DATASETS as IMAGE_DATASETS
from ..gan.datasets import DATASETS as DATASETS_2D

CATALOGUES: dict[str, dict] = {"2d": DATASETS_2D, "image": IMAGE_DATASETS}
_ARTICLE = {"2d": "a 2D", "image": "an image"}


def dataset_kind(name: str) -> str | None:
    """The kind whose catalogue holds dataset `name` (None: no kind has it)."""
    return next((kind for kind, names in CATALOGUES.items() if name in names), None)


def reset_kind_error(session_kind: str, dataset: str | None) -> str | None:
    """Why resetting a session of `session_kind` onto `dataset` is refused (None: allowed)."""
    other = None if dataset is None else dataset_kind(dataset)
    if other is None or other == session_kind:
        return None  # no change, or a name no kind knows (the reset itself says so)
    return (f"{dataset!r} is {_ARTICLE[other]} dataset but this is {_ARTICLE[session_kind]} "
            f"session (its datasets: {', '.join(CATALOGUES[session_kind])}); create a new "
            "session to switch kinds")
