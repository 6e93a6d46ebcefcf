"""Shared command-line helpers: a progress bar, device choice, clear one-line errors."""

from __future__ import annotations

import argparse
import sys
import time


class ProgressBar:
    """A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal)."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label, self.width = label, width
        self.tty = sys.stderr.isatty()
        self._last, self._last_decile, self.t0 = 0.0, -1, time.perf_counter()

    def update(self, frac: float, note: str = "") -> None:
        frac = min(1.0, max(0.0, frac))
        now = time.perf_counter()
        if self.tty:
            if now - self._last < 0.1 and frac < 1.0:
                return
            filled = int(self.width * frac)
            bar = "#" * filled + "-" * (self.width - filled)
            sys.stderr.write(f"\r{self.label} [{bar}] {100 * frac:5.1f}% {now - self.t0:6.1f}s {note}\x1b[K")
            self._last = now
        elif int(frac * 10) > self._last_decile:
            self._last_decile = int(frac * 10)
            sys.stderr.write(f"{self.label}: {100 * frac:5.1f}% {now - self.t0:6.1f}s {note}\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but torch sees no CUDA device")
    return "cuda:0" if name == "cuda" else name


def _guard(fn):
    """Turn data / config errors into one clear line on stderr and exit status 2."""
    def run(args: argparse.Namespace) -> int:
        from subprocess import SubprocessError

        from pydantic import ValidationError

        from .gan.images.idx import DataError
        try:
            return fn(args)
        except (DataError, ValidationError, ValueError, KeyError, OSError, SubprocessError) as exc:
            print(f"gandojo: {exc}", file=sys.stderr)
            return 2
    return run
