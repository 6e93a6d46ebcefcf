"""Downloading the IDX files: mirrors, checksums, atomic files — against a loopback HTTP server."""

import functools
import hashlib
import http.server
import threading

import pytest

from gandojo.datasets.images import ALL_FILES, load_split
from gandojo.datasets.fetch import (ChecksumError, RemoteFile, check_file, download_dataset,
                                      download_file)
from gandojo.datasets.idx import DataError

from image_fixtures import write_source


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        _Handler.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """An http.server on 127.0.0.1 serving tmp_path/www; yields its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    _Handler.requests = []
    handler = functools.partial(_Handler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _publish(www, sub="good"):
    """Synthetic IDX files under www/<sub>/ and their published checksums."""
    src = write_source(www.parent / "src", n_train=40, n_test=10)
    (www / sub).mkdir()
    remote = []
    for name in ALL_FILES:
        data = (src / name).read_bytes()
        (www / sub / name).write_bytes(data)
        remote.append(RemoteFile(name, hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest(),
                                 len(data)))
    return tuple(remote)


def test_download_verifies_and_falls_back_to_the_next_mirror(server, tmp_path):
    www, base = server
    remote = _publish(www)
    seen = []
    dest = download_dataset("mnist", tmp_path / "data", mirrors=(f"{base}/missing/", f"{base}/good/"),
                            remote=remote, progress=lambda f, done, total: seen.append((f, done, total)))
    assert sorted(p.name for p in dest.iterdir()) == sorted(ALL_FILES)
    assert seen and seen[-1][1] == seen[-1][2]  # progress reaches the total
    train = load_split("mnist", "train", tmp_path / "data")
    assert (train.source, train.count) == ("download", 40)
    # already there and intact: nothing is fetched again
    n = len(_Handler.requests)
    download_dataset("mnist", tmp_path / "data", mirrors=(f"{base}/good/",), remote=remote)
    assert len(_Handler.requests) == n


def test_checksum_failure_leaves_no_file_and_names_it(server, tmp_path):
    www, base = server
    remote = _publish(www)
    bad = RemoteFile(remote[0].name, md5="0" * 32)  # the published checksum does not match
    with pytest.raises(DataError) as err:
        download_file(bad, tmp_path / "dl", (f"{base}/good/",))
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and "md5" in msg and "does not match" in msg
    assert list((tmp_path / "dl").iterdir()) == []  # neither the file nor a .part remains


def test_a_corrupt_mirror_is_skipped(server, tmp_path):
    www, base = server
    remote = _publish(www)
    (www / "corrupt").mkdir()
    (www / "corrupt" / remote[1].name).write_bytes(b"\x00" * remote[1].size)  # right size, wrong bytes
    path = download_file(remote[1], tmp_path / "dl", (f"{base}/corrupt/", f"{base}/good/"))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == remote[1].sha256


def test_size_mismatch_and_bad_schemes(server, tmp_path):
    www, base = server
    remote = _publish(www)
    short = RemoteFile(remote[3].name, size=remote[3].size + 1)
    with pytest.raises(DataError, match="bytes, expected"):
        download_file(short, tmp_path / "dl", (f"{base}/good/",))
    with pytest.raises(DataError, match="only http"):
        download_file(remote[3], tmp_path / "dl", ("file:///etc/",))


def test_a_damaged_local_copy_is_replaced(server, tmp_path):
    www, base = server
    remote = _publish(www)
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / remote[2].name).write_bytes(b"garbage")
    with pytest.raises(ChecksumError):
        check_file(dest / remote[2].name, remote[2])
    download_file(remote[2], dest, (f"{base}/good/",))
    check_file(dest / remote[2].name, remote[2])
