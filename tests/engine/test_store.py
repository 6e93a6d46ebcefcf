"""The save store: exact round trips, owners, names, bad files skipped, the reaper hook, kill -9."""

import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from gandojo.engine.checkpoint import from_bytes, to_bytes
from gandojo.engine.manager import SessionManager
from gandojo.engine.store import (SAVED_KEY, BadCheckpoint, BadName, NotOwner, NotSaved,
                                  SessionStore, StoreFull, token_hash, with_metadata)
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.trainer import Trainer2D

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def manager():
    m = SessionManager("cpu", idle_pause_s=1e6, idle_timeout_s=1e6)
    yield m
    m.close_all()


def ckpt(iterations: int = 1, **patch) -> bytes:
    t = Trainer2D(get_dataset("ring8"), merged_config(GanConfig(), patch), seed=5)
    for _ in range(iterations):
        t.iterate()
    return to_bytes(t)


def test_save_list_resume_continues_exactly(tmp_path, manager):
    store = SessionStore(tmp_path / "saved")
    s = manager.create("ring8", GanConfig(), seed=11)
    s.command("step", n=7).result(30)
    entry = store.save_session(s, "alpha")
    assert (entry["name"], entry["dataset"], entry["iteration"]) == ("alpha", "ring8", 7)
    assert entry["kind"] == "2d"
    assert s.saved_as == "alpha" and entry["owner"] == token_hash(s.token)
    saved, skipped = store.list()
    assert [e["name"] for e in saved] == ["alpha"] and skipped == []
    assert saved[0]["saved_at"].endswith("Z")
    data, _ = store.load("alpha")
    resumed = from_bytes(data)
    assert resumed.iteration == 7
    for _ in range(3):
        resumed.iterate()
    assert s.command("step", n=3).result(30)["losses"] == resumed.losses()


def test_metadata_is_added_without_touching_the_tensors():
    data = ckpt()
    out = with_metadata(data, {SAVED_KEY: json.dumps({"name": "x"})})
    a, b = st_load(data), st_load(out)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert int.from_bytes(out[:8], "little") % 8 == 0
    assert from_bytes(out).iteration == 1


@pytest.mark.parametrize("name", ["", "../x", "..", ".hidden", "a/b", "a\\b", "a b", "x" * 65,
                                  "é", "-lead", "a.safetensors", "a\x00b"])
def test_names_outside_the_pattern_are_refused(tmp_path, name):
    store = SessionStore(tmp_path)
    with pytest.raises(BadName):
        store.save(name, ckpt(), "tok", "id")
    with pytest.raises(BadName):
        store.load(name)
    assert list(tmp_path.iterdir()) == []


def test_only_the_owner_replaces_or_deletes(tmp_path):
    store = SessionStore(tmp_path)
    data = ckpt()
    store.save("mine", data, "token-a", "id-a")
    with pytest.raises(NotOwner):
        store.save("mine", data, "token-b", "id-b")
    with pytest.raises(NotOwner):
        store.delete("mine", "token-b")
    # a session resumed by the owner inherits the owner's hash and may replace the entry
    entry = store.save("mine", ckpt(2), "token-c", "id-c", may_overwrite=(token_hash("token-a"),))
    assert entry["iteration"] == 2 and entry["owner"] == token_hash("token-c")
    with pytest.raises(NotOwner):
        store.delete("mine", "token-a")
    store.delete("mine", "token-c")
    with pytest.raises(NotSaved):
        store.load("mine")
    assert store.list() == ([], [])


def test_foreign_and_corrupt_files_are_skipped_with_a_warning(tmp_path, caplog):
    store = SessionStore(tmp_path)
    good = ckpt()
    store.save("good", good, "t", "i")
    (tmp_path / "garbage.safetensors").write_bytes(b"\xff" * 100)
    (tmp_path / "truncated.safetensors").write_bytes((tmp_path / "good.safetensors").read_bytes()[:-50])
    (tmp_path / "foreign.safetensors").write_bytes(st_save({"w": torch.zeros(3)}))
    (tmp_path / "empty.safetensors").write_bytes(b"")
    (tmp_path / "bad name.safetensors").write_bytes(good)
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    (tmp_path / "sub.safetensors").mkdir()
    with caplog.at_level(logging.WARNING, logger="gandojo.store"):
        saved, skipped = store.list()
    assert [e["name"] for e in saved] == ["good"]
    assert sorted(s["file"] for s in skipped) == ["bad name.safetensors", "empty.safetensors",
                                                  "foreign.safetensors", "garbage.safetensors",
                                                  "truncated.safetensors"]
    assert sum("skipping" in r.message for r in caplog.records) == 4
    with pytest.raises(BadCheckpoint):
        store.load("truncated")
    # a plain downloaded checkpoint dropped into the directory is listed (by the file's metadata)
    (tmp_path / "dropped.safetensors").write_bytes(good)
    assert {e["name"]: e["iteration"] for e in store.list()[0]} == {"good": 1, "dropped": 1}


def test_the_store_is_bounded(tmp_path):
    store = SessionStore(tmp_path, max_entries=2)
    data = ckpt()
    store.save("a", data, "t", "i")
    store.save("b", data, "t", "i")
    with pytest.raises(StoreFull):
        store.save("c", data, "t", "i")
    store.save("a", data, "t", "i")  # replacing is not growing


def test_the_reaper_saves_kept_sessions_before_ending_them(tmp_path, manager):
    manager.store = SessionStore(tmp_path)
    kept = manager.create("gaussians", GanConfig(), seed=1)
    kept.keep = True
    kept.command("step", n=4).result(30)
    other = manager.create("gaussians", GanConfig(), seed=2)
    other.command("step", n=2).result(30)
    manager.reap(now=time.monotonic() + 1e7)
    assert len(manager) == 0
    saved, _ = manager.store.list()
    assert [(e["dataset"], e["iteration"]) for e in saved] == [("gaussians", 4)]
    assert saved[0]["name"] == kept.saved_as and saved[0]["name"].startswith("gaussians-")
    # a shutdown saves kept sessions too
    last = manager.create("ring", GanConfig(), seed=3)
    last.keep = True
    manager.close_all()
    assert sorted(e["dataset"] for e in manager.store.list()[0]) == ["gaussians", "ring"]


ZYGOTE = """
import os, sys
from gandojo.engine.store import SessionStore
directory, *blobs = sys.argv[1:]
blobs = [open(b, "rb").read() for b in blobs]
for line in sys.stdin:  # one victim per trial, forked: the import (seconds) is paid once
    trial, log = line.split()
    pid = os.fork()
    if pid == 0:  # the victim saves in a loop, logging each step to its own file
        out, store, k = open(log, "w", buffering=1), SessionStore(directory), 0
        while True:
            out.write(f"saving {k}\\n")
            store.save("victim", blobs[k % 2], "token", f"{trial}-{k}")
            out.write(f"saved {k}\\n")
            k += 1
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


def _victim(zygote: subprocess.Popen, trial: int, log: Path, rng: random.Random) -> list[str]:
    """Fork a saving victim, SIGKILL it at a random moment once it began, return its log."""
    zygote.stdin.write(f"{trial} {log}\n")
    zygote.stdin.flush()
    pid = int(zygote.stdout.readline())
    deadline = time.monotonic() + 60
    while not (log.exists() and log.read_text().startswith("saving 0")):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(rng.uniform(0.0, 0.4))
    os.kill(pid, signal.SIGKILL)
    assert zygote.stdout.readline().strip() == "reaped"
    return log.read_text().split("\n")


def test_kill_9_during_saves_never_loses_the_saved_file(tmp_path):
    """A process saving ~8 MB checkpoints in a loop is SIGKILLed at random moments: the file on
    disk is always a whole, loadable checkpoint, the last one saved or the one being saved."""
    big = {"generator": {"hidden_layers": 6, "neurons": 256, "optimizer": "adam"},
           "discriminator": {"hidden_layers": 6, "neurons": 256, "optimizer": "adam"}, "batch_size": 8}
    blobs = [tmp_path / "a.bin", tmp_path / "b.bin"]
    for i, path in enumerate(blobs):
        path.write_bytes(ckpt(i + 1, **big))
    assert len(blobs[0].read_bytes()) > 7_000_000
    directory, rng = tmp_path / "saved", random.Random(1234)
    previous, interrupted = None, 0
    zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(directory), *map(str, blobs)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for trial in range(12):
            lines = _victim(zygote, trial, tmp_path / f"victim-{trial}.log", rng)
            done = [int(x.split()[1]) for x in lines if x.startswith("saved")]
            begun = [0] + [int(x.split()[1]) for x in lines if x.startswith("saving")]
            interrupted += any(p.name.startswith(".") for p in directory.iterdir())
            store = SessionStore(directory)  # a restart: stale temporaries are removed
            assert not any(p.name.startswith(".") for p in directory.iterdir())
            if not (directory / "victim.safetensors").exists():  # killed before the first rename
                assert previous is None and not done
                continue
            saved, skipped = store.list()
            assert skipped == [] and [e["name"] for e in saved] == ["victim"]
            data, _ = store.load("victim")
            writer = json.loads(st_meta(data)[SAVED_KEY])["id"]
            allowed = {f"{trial}-{max(begun)}"} | ({f"{trial}-{max(done)}"} if done else {previous})
            assert writer in allowed, (writer, allowed)
            k = int(writer.split("-")[1])
            assert from_bytes(data).iteration == k % 2 + 1  # whole and loadable, the blob it names
            previous = writer
    finally:
        zygote.stdin.close()
        zygote.wait(30)
    assert interrupted >= 1  # some kills really landed in the middle of a write


def st_meta(data: bytes) -> dict:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n])["__metadata__"]


def test_any_gandojo_checkpoint_kind_is_stored(tmp_path):
    """The store needs only safetensors bytes with a gandojo-* format: image checkpoints fit."""
    data = st_save({"G.w": torch.ones(3, 3)}, metadata={
        "format": "gandojo-image-checkpoint-1", "kind": "image", "dataset": "mnist", "iteration": "12"})
    entry = SessionStore(tmp_path).save("digits", data, "t", "i")
    assert (entry["kind"], entry["dataset"], entry["iteration"]) == ("image", "mnist", 12)
    assert torch.equal(st_load(SessionStore(tmp_path).load("digits")[0])["G.w"], torch.ones(3, 3))
