"""Shared command-line helpers: the parser class, bounded option types, a progress bar, device
choice, plurals, and clear one-line errors that name the flag."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable


class Parser(argparse.ArgumentParser):
    """argparse without prefix abbreviations (`--epoch` is an error, not `--epochs`), for every
    sub-command too (sub-parsers are made with the parent's class)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def bounded(kind: type, lo: float | None = None, hi: float | None = None) -> Callable[[str], float]:
    """An argparse `type` that parses `kind` and refuses values outside [lo, hi]; argparse then
    names the flag: `argument --epochs: must be >= 1, got 0`."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {text}")
        if hi is not None and value > hi:
            raise argparse.ArgumentTypeError(f"must be <= {hi}, got {text}")
        return value
    parse.__name__ = kind.__name__  # argparse's "invalid int value" wording, should it need it
    return parse


def plural(n: float, word: str, many: str | None = None) -> str:
    """'1 epoch', '2 epochs', '1.5 epochs'."""
    return f"{n:g} {word if n == 1 else (many or word + 's')}"


class ProgressBar:
    """A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal, and always
    a last 100 % line from `finish`)."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label, self.width = label, width
        self.tty = sys.stderr.isatty()
        self._last, self._last_decile, self.t0 = 0.0, -1, time.perf_counter()
        self._note = ""

    def update(self, frac: float, note: str = "") -> None:
        frac = min(1.0, max(0.0, frac))
        now = time.perf_counter()
        self._note = note or self._note
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

    def finish(self, note: str = "") -> None:
        """The work is complete: show 100 % (piped output too), then end the line."""
        self.update(1.0, note or self._note)
        self.close()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _device(name: str) -> str:
    """The torch device `--device NAME` means (`Settings.resolved_device`, the server's rule);
    one line and exit when CUDA is asked for but missing."""
    from ..settings import Settings

    try:
        return Settings(device=name).resolved_device()
    except RuntimeError as exc:
        raise SystemExit(f"gandojo: {exc}") from None


def _bound_text(err: dict) -> str:
    """'must be >= 16' from a pydantic error (its ctx), else pydantic's own words."""
    ctx = err.get("ctx") or {}
    for key, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if key in ctx:
            return f"must be {op} {ctx[key]}"
    if err.get("type") == "literal_error" and "expected" in ctx:
        return f"must be one of {ctx['expected']}"
    return str(err.get("msg", "is not valid")).replace("Input should be", "must be")


def config_errors(exc, flags: dict[tuple, str]) -> str:
    """A pydantic ValidationError as one line per field, each naming its flag when it has one:
    `--batch-size must be >= 16, got 8`; other fields as `--config <a.b>`."""
    lines = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        flag = flags.get(loc) or flags.get(loc[:-1] + ("*",)) or f"--config {'.'.join(map(str, loc))}"
        got = err.get("input")
        got = "" if isinstance(got, dict) else f", got {got!r}" if isinstance(got, str) else f", got {got}"
        line = f"{flag} {_bound_text(err)}{got}"
        if line not in lines:  # --beta1 sets both nets' betas: one line
            lines.append(line)
    return "; ".join(lines)


def _guard(fn, flags: dict[tuple, str] | None = None):
    """Turn data / config errors into one clear line on stderr and exit status 2."""
    def run(args: argparse.Namespace) -> int:
        from subprocess import SubprocessError

        from pydantic import ValidationError

        from ..datasets.idx import DataError
        try:
            return fn(args)
        except ValidationError as exc:
            print(f"gandojo: {config_errors(exc, flags or {})}", file=sys.stderr)
            return 2
        except (DataError, ValueError, KeyError, OSError, SubprocessError) as exc:
            print(f"gandojo: {str(exc).strip(chr(39))}", file=sys.stderr)
            return 2
    return run
