"""The one data-directory resolver, used by `serve`, `data`, `train`, `export` and `experiment`.

Precedence, first that is set wins:
  1. the command's `--data-dir PATH` flag (for `serve`: also the `data_dir` setting);
  2. $GANDOJO_DATA_DIR;
  3. $GANDOJO_DATA (the older name, still honoured);
  4. $XDG_CACHE_HOME/gandojo/data, else ~/.cache/gandojo/data.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VARS = ("GANDOJO_DATA_DIR", "GANDOJO_DATA")  # in precedence order


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data directory: `explicit` (a flag), else the first of ENV_VARS set, else the user cache."""
    if explicit:
        return Path(explicit).expanduser()
    for name in ENV_VARS:
        value = os.environ.get(name)
        if value:
            return Path(value).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "gandojo" / "data"


def describe_precedence() -> str:
    """One line for --help texts."""
    return "default: $GANDOJO_DATA_DIR, else $GANDOJO_DATA, else ~/.cache/gandojo/data"
