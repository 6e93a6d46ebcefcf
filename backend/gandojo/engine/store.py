"""Saved sessions on disk: one atomic safetensors checkpoint per name, who/what/when in its metadata.

Any session that answers the `checkpoint` command with safetensors bytes whose metadata carries a
GAN Dojo `format` (2D: engine/checkpoint.py, images: engine/image_checkpoint.py) can be saved. The
store adds one metadata entry, `gandojo_saved` (JSON: name, id, dataset, kind, iteration, saved_at
and the SHA-256 of the saving session's token), by rewriting the header only; the tensors are
untouched. Files are written to a temporary file, fsynced, renamed over the old one
(`fileio.atomic_write`) and the directory fsynced, so a crash (kill -9 included) leaves the old file
or the new, never a mix. A save or a load parses the header once (`fileio.parse_header`).
This module needs no torch: it moves bytes and validates the safetensors structure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import fileio

log = logging.getLogger("gandojo.store")
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
SUFFIX = ".safetensors"
SAVED_KEY = "gandojo_saved"
MAX_HEADER = fileio.MAX_HEADER
MAX_FILE = 256 * 1024 * 1024  # the largest checkpoint of any kind (image GANs)
TEMP_PREFIX = "."  # fileio.atomic_write's temporary files are dot-files next to the target


class StoreError(ValueError):
    """A store operation refused; subclasses say why (the API maps each to a status)."""


class BadName(StoreError):
    pass


class NotSaved(StoreError):
    pass


class NotOwner(StoreError):
    pass


class StoreFull(StoreError):
    pass


class BadCheckpoint(StoreError):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    if not isinstance(name, str) or re.fullmatch(NAME_RE, name) is None:
        raise BadName(f"name {name!r} must match {NAME_RE} (letters, digits, '_' and '-')")
    return name


def parse_header(head: bytes, size: int) -> dict[str, Any]:
    """The JSON header of a safetensors file of `size` bytes starting with `head`; checks that the
    tensors' offsets cover the data exactly (a truncated or padded file is refused)."""
    try:
        return fileio.parse_header(head, size)
    except fileio.HeaderError as exc:
        raise BadCheckpoint(str(exc)) from None


def read_header(data: bytes) -> dict[str, Any]:
    """`parse_header` of whole safetensors bytes."""
    return parse_header(data[:8 + MAX_HEADER], len(data))


def with_metadata(data: bytes, extra: dict[str, str], header: dict[str, Any] | None = None) -> bytes:
    """`data` (a safetensors file) with `extra` merged into its metadata; tensors unchanged.
    `header`: the header of `data`, when already parsed."""
    header = dict(read_header(data) if header is None else header)
    n = int.from_bytes(data[:8], "little")
    header["__metadata__"] = {**header["__metadata__"], **extra}
    return fileio.header_bytes(header) + data[8 + n:]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SessionStore:
    """Saved checkpoints in `directory` (created on the first save)."""

    def __init__(self, directory: str | os.PathLike, max_entries: int = 1000) -> None:
        self.dir = Path(directory)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._remove_temporaries()

    def path(self, name: str) -> Path:
        return self.dir / f"{check_name(name)}{SUFFIX}"

    # ------------------------------------------------------------ reading
    def read(self, path: Path) -> dict[str, Any]:
        """The listing entry of one file (BadCheckpoint if it is corrupt or foreign)."""
        try:
            st = path.stat()
            if st.st_size > MAX_FILE:
                raise BadCheckpoint(f"larger than {MAX_FILE} bytes")
            with open(path, "rb") as f:
                head = f.read(8)
                head += f.read(min(int.from_bytes(head[:8].ljust(8, b"\0"), "little"), MAX_HEADER))
        except OSError as exc:
            raise BadCheckpoint(f"unreadable: {exc.strerror}") from None
        return _entry(path, parse_header(head, st.st_size)["__metadata__"], st.st_size, st.st_mtime)

    def list(self) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """(entries newest first, skipped files with the reason); never raises for a bad file."""
        entries, skipped = [], []
        for path in self._files():
            if re.fullmatch(NAME_RE, path.name[:-len(SUFFIX)]) is None:
                skipped.append({"file": path.name, "reason": "name outside the allowed pattern"})
                continue
            try:
                entries.append(self.read(path))
            except BadCheckpoint as exc:
                log.warning("saved sessions: skipping %s: %s", path, exc)
                skipped.append({"file": path.name, "reason": str(exc)})
        entries.sort(key=lambda e: e["saved_at"], reverse=True)
        return entries, skipped

    def load(self, name: str) -> tuple[bytes, dict[str, Any]]:
        """(checkpoint bytes, entry) of `name`; NotSaved / BadCheckpoint."""
        path = self.path(name)
        if not path.is_file():
            raise NotSaved(f"nothing is saved as {name!r}")
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError as exc:
            raise BadCheckpoint(f"unreadable: {exc.strerror}") from None
        if len(data) > MAX_FILE:
            raise BadCheckpoint(f"larger than {MAX_FILE} bytes")
        return data, _entry(path, read_header(data)["__metadata__"], len(data), mtime)

    # ------------------------------------------------------------ writing
    def save(self, name: str, data: bytes, token: str, session_id: str,
             may_overwrite: tuple[str, ...] = ()) -> dict[str, Any]:
        """Write `data` as `name`, owned by `token` (stored as a hash). An existing entry may be
        replaced only by its owner's token or one of the owner hashes in `may_overwrite`."""
        path = self.path(name)
        header = read_header(data)
        meta = header["__metadata__"]
        saved = {"name": name, "id": session_id, "kind": str(meta.get("kind", "2d")),
                 "dataset": str(meta.get("dataset", "")), "iteration": str(meta.get("iteration", "0")),
                 "saved_at": _iso(time.time()), "owner": token_hash(token)}
        with self._lock:
            if path.exists():
                self._check_owner(path, {token_hash(token), *may_overwrite})
            elif len(self._files()) >= self.max_entries:
                raise StoreFull(f"the save directory already holds {self.max_entries} sessions; "
                                "delete one first")
            self.dir.mkdir(parents=True, exist_ok=True)
            written = with_metadata(data, {SAVED_KEY: json.dumps(saved)}, header)
            fileio.atomic_write(path, written)
            _fsync_dir(self.dir)  # the rename itself survives a power cut, not only a kill
        return _entry(path, {**meta, SAVED_KEY: json.dumps(saved)}, len(written), time.time())

    def delete(self, name: str, token: str) -> None:
        path = self.path(name)
        with self._lock:
            if not path.is_file():
                raise NotSaved(f"nothing is saved as {name!r}")
            self._check_owner(path, {token_hash(token)})
            path.unlink()
            _fsync_dir(self.dir)

    def save_session(self, session: Any, name: str | None = None, timeout: float = 60.0) -> dict:
        """Ask `session` for its checkpoint bytes and save them (as `name`, else the name it was
        saved or resumed as, else `<dataset>-<random>`); remembers the name on the session."""
        try:
            fut = session.command("checkpoint")
        except ValueError:  # a session kind without checkpoints
            raise BadCheckpoint(f"this {getattr(session, 'kind', '?')} session cannot be saved yet "
                                "(it answers no checkpoint command)") from None
        data = fut.result(timeout)
        if name is None:
            name = session.saved_as or default_name(data)
        inherited = session.save_owner
        entry = self.save(name, data, session.token, session.id, (inherited,) if inherited else ())
        session.saved_as = name
        return entry

    # ------------------------------------------------------------ internals
    def _check_owner(self, path: Path, hashes: set[str]) -> None:
        try:
            owner = self.read(path)["owner"]
        except BadCheckpoint:
            owner = None  # a corrupt file is nobody's: only an administrator removes it
        if not isinstance(owner, str) or not any(hmac.compare_digest(owner, h) for h in hashes):
            raise NotOwner(f"{path.stem!r} belongs to the session that saved it: only its token "
                           "may replace or delete it (save under another name)")

    def _files(self) -> list[Path]:
        if not self.dir.is_dir():
            return []
        return sorted(p for p in self.dir.glob(f"*{SUFFIX}")
                      if not p.name.startswith(TEMP_PREFIX) and p.is_file())

    def _remove_temporaries(self) -> None:
        """Temporary files a killed save left behind (the saved files themselves are whole)."""
        if self.dir.is_dir():
            for p in self.dir.glob(f"{TEMP_PREFIX}*{SUFFIX}.*"):
                p.unlink(missing_ok=True)


def default_name(data: bytes) -> str:
    meta = read_header(data)["__metadata__"]
    dataset = re.sub(r"[^A-Za-z0-9_-]", "-", str(meta.get("dataset", "session")))[:40] or "session"
    return check_name(f"{dataset}-{secrets.token_hex(3)}".lstrip("-_") or secrets.token_hex(3))


def _entry(path: Path, meta: dict[str, str], size: int, mtime: float) -> dict[str, Any]:
    """The listing entry of the file at `path` from its header's metadata."""
    saved = _json_dict(meta.get(SAVED_KEY))
    try:
        iteration = int(saved.get("iteration", meta.get("iteration", 0)))
    except (TypeError, ValueError):
        raise BadCheckpoint("iteration is not an integer") from None
    return {"name": path.name[:-len(SUFFIX)], "kind": str(meta.get("kind", "2d")),
            "dataset": str(meta.get("dataset", "")), "iteration": iteration,
            "saved_at": str(saved.get("saved_at") or _iso(mtime)),
            "size": size, "owner": saved.get("owner")}


def _json_dict(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else {}
    except json.JSONDecodeError:
        raise BadCheckpoint(f"{SAVED_KEY} metadata is not JSON") from None
    return value if isinstance(value, dict) else {}


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
