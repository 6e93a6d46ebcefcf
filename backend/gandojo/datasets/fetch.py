"""Download the standard IDX files from public mirrors, verifying size, MD5 and SHA-256 on the fly.

Each file is streamed to a temporary file beside its destination (`fileio.atomic_file`) and
renamed into place only after every known checksum matched; a mismatch or a network error moves on
to the next mirror. Files already present with the right checksums are kept. Only http(s) URLs are accepted.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from ..fileio import atomic_file

from .images import ALL_FILES, get_spec, source_dir
from .idx import DataError

# progress(file name, bytes so far, total bytes or None)
Progress = Callable[[str, int, "int | None"], None]
CHUNK = 1 << 16
MAX_DOWNLOAD = 64 * 1024 * 1024


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch and what it must be."""

    name: str
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None


# The same four files are on every MNIST mirror (the originals are identical byte for byte).
REMOTE: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": (
        RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                   "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
        RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432",
                   "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
        RemoteFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3",
                   "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
        RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c",
                   "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
    ),
    "fashion-mnist": (
        RemoteFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        RemoteFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        RemoteFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        RemoteFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ),
}

MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/",
              "https://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
}


class ChecksumError(DataError):
    """A file whose size or checksum is not the published one."""


class NetworkError(DataError):
    """No mirror could be reached at all (no network, DNS or connection failures only)."""

    def __init__(self, message: str, dataset: str = "") -> None:
        super().__init__(message)
        self.dataset = dataset


# Approximate sizes, only to weight the files in an overall progress fraction.
APPROX_BYTES = {"train-images-idx3-ubyte.gz": 26_000_000, "train-labels-idx1-ubyte.gz": 29_000,
                "t10k-images-idx3-ubyte.gz": 4_400_000, "t10k-labels-idx1-ubyte.gz": 5_000}


def _digests(path: Path) -> dict[str, str]:
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            md5.update(block)
            sha.update(block)
    return {"md5": md5.hexdigest(), "sha256": sha.hexdigest()}


def check_file(path: Path, remote: RemoteFile, digests: dict[str, str] | None = None,
               size: int | None = None) -> None:
    """Raise ChecksumError naming the file unless its size and known checksums match `remote`
    (`digests` and `size`: already known, e.g. counted while streaming)."""
    size = path.stat().st_size if size is None else size
    if remote.size is not None and size != remote.size:
        raise ChecksumError(f"{remote.name}: {size} bytes, expected {remote.size}")
    digests = digests or _digests(path)
    for algo in ("md5", "sha256"):
        want = getattr(remote, algo)
        if want and digests[algo] != want.lower():
            raise ChecksumError(f"{remote.name}: {algo} {digests[algo]} does not match the "
                                f"published {want}; the download is corrupt or not the original file")


def _stream(url: str, out: BinaryIO, remote: RemoteFile, progress: Progress | None,
            timeout: float) -> None:
    """Stream `url` into `out` (a temporary file), hashing as it goes, then check the result."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    limit = remote.size or MAX_DOWNLOAD
    req = urllib.request.Request(url, headers={"User-Agent": "gandojo-data-fetch"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
        total = resp.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else remote.size
        done = 0
        while block := resp.read(CHUNK):
            done += len(block)
            if done > limit:
                raise ChecksumError(f"{remote.name}: larger than the expected {limit} bytes")
            out.write(block)
            md5.update(block)
            sha.update(block)
            if progress:
                progress(remote.name, done, total)
    check_file(Path(remote.name), remote, {"md5": md5.hexdigest(), "sha256": sha.hexdigest()}, done)


def download_file(remote: RemoteFile, dest_dir: Path, mirrors: tuple[str, ...],
                  progress: Progress | None = None, timeout: float = 30.0) -> Path:
    """`remote` into dest_dir from the first mirror that serves it intact; DataError if none does."""
    dest = dest_dir / remote.name
    if dest.is_file():
        try:
            check_file(dest, remote)
            return dest
        except ChecksumError:
            pass  # replaced below
    dest_dir.mkdir(parents=True, exist_ok=True)
    errors, unreachable = [], 0
    for base in mirrors:
        url = base.rstrip("/") + "/" + remote.name
        if not url.startswith(("http://", "https://")):
            errors.append(f"{url}: only http(s) mirrors are allowed")
            continue
        try:
            with atomic_file(dest) as out:  # renamed into place only when every check passed
                _stream(url, out, remote, progress, timeout)
            return dest
        except ChecksumError as exc:
            errors.append(f"{url}: {exc}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            unreachable += not isinstance(exc, urllib.error.HTTPError)  # an HTTP status is an answer
            errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
    kind = NetworkError if mirrors and unreachable == len(mirrors) else DataError
    raise kind(f"could not download {remote.name}:\n  " + "\n  ".join(errors))


def download_dataset(name: str, root: str | os.PathLike | None = None,
                     mirrors: tuple[str, ...] | None = None, progress: Progress | None = None,
                     timeout: float = 30.0, remote: tuple[RemoteFile, ...] | None = None) -> Path:
    """Fetch the four IDX files of `name` into <data dir>/<name>/download and return that folder.

    `mirrors` and `remote` override the published lists (tests point them at a local server).
    """
    get_spec(name)
    files = remote if remote is not None else REMOTE[name]
    if sorted(f.name for f in files) != sorted(ALL_FILES):
        raise ValueError(f"the remote file list must name exactly {', '.join(ALL_FILES)}")
    dest = source_dir(name, "download", root)
    for f in files:
        try:
            download_file(f, dest, mirrors or MIRRORS[name], progress, timeout)
        except NetworkError as exc:
            raise NetworkError(f"{exc}\nOther ways to get it: {get_spec(name).how_to}.", name) from None
        except DataError as exc:
            raise DataError(f"{exc}\nOther ways to get it: {get_spec(name).how_to}.") from None
    return dest


def overall(progress: Callable[[float, str], None],
            files: tuple[RemoteFile, ...]) -> Progress:
    """A download Progress that reports one fraction over all `files` (weighted by size)."""
    sizes = {f.name: f.size or APPROX_BYTES.get(f.name, 1) for f in files}
    before, total = {}, sum(sizes.values())
    acc = 0
    for f in files:
        before[f.name], acc = acc, acc + sizes[f.name]

    def report(name: str, done: int, size: int | None) -> None:
        part = min(1.0, done / size) if size else 0.0
        progress((before.get(name, 0) + part * sizes.get(name, 1)) / total,
                 f"{name}: {done >> 10:,} KiB" + (f" of {size >> 10:,}" if size else ""))
    return report
