"""ImageSession on its worker thread: steps, seeding, epochs, grid, interpolation, jobs (real digits)."""

import time

import numpy as np
import pytest
import torch

from gandojo.engine.base import InputError
from gandojo.engine.fanout import Subscriber
from gandojo.engine.image_session import ImageSession
from gandojo.gan.images.config import default_image_config
from gandojo.datasets.images import from_arrays, load_split
from gandojo.gan.images.grid import class_noise
from gandojo.gan.images.trainer import ImageTrainer
from f32_images import image_bound
from numerics import assert_f32_close, f32_excess


@pytest.fixture
def make(image_data_root):
    sessions = []

    def make(seed=0, model="mlp", **cfg):
        data = load_split("mnist", "train", image_data_root)
        config = default_image_config(model, batch_size=16, **cfg)
        s = ImageSession(f"s{len(sessions)}", "tok", ImageTrainer(data, config, seed), data_root=image_data_root)
        sessions.append(s)
        return s
    yield make
    for s in sessions:
        s.close()


def snap(s):
    return s.command("snapshot").result(30)


def test_a_step_changes_the_parameters_and_the_grid(make):
    s = make()
    before = snap(s).sections["samples"].copy()
    w0 = [p.detach().clone() for p in s.trainer.G.parameters()]
    r = s.command("step", n=2).result(30)
    assert r["iteration"] == 2 and r["losses"]["d"] is not None
    assert any(not torch.equal(a, b) for a, b in zip(w0, s.trainer.G.parameters()))
    after = snap(s).sections["samples"]
    assert after.shape == (64, 28, 28) and not np.array_equal(before, after)
    g = s.command("step", n=1, part="g").result(30)
    assert g["losses"]["d"] == r["losses"]["d"] and g["losses"]["g"] != r["losses"]["g"]


def test_same_seed_same_grid_other_seed_another(make):
    a, b, c = make(seed=4), make(seed=4), make(seed=5)
    for s in (a, b, c):
        s.command("step", n=3).result(30)
    fa, fb, fc = snap(a).sections["samples"], snap(b).sections["samples"], snap(c).sections["samples"]
    # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
    # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
    assert np.array_equal(fa, fb) and not np.array_equal(fa, fc)


def test_epoch_accounting(make):
    s = make()  # 16 digits, batch 16: one iteration is one epoch
    s.command("step", n=3).result(30)
    h = snap(s).header
    assert h["epoch"] == 3.0 and h["epoch_progress"] == 0.0
    assert [e["epoch"] for e in h["epochs"]] == [1, 2, 3]
    assert all(e["seconds"] > 0 and e["d"] is not None and 0 <= e["d_real_acc"] <= 1 for e in h["epochs"])
    assert h["epoch_seconds"] == h["epochs"][-1]["seconds"] and h["eta_seconds"] is None
    s.command("config", patch={"batch_size": 32}).result(30)
    s.command("step", n=1).result(30)
    assert snap(s).header["epoch"] == 5.0  # 32 images = two epochs of 16
    s.command("config", patch={"latent_dim": 20}).result(30)  # rebuilt models: counting starts over
    h = snap(s).header
    assert h["iteration"] == 0 and h["epochs"] == [] and h["epoch"] == 0.0


def test_interpolation_runs_between_the_two_grid_samples(make):
    s = make()
    s.command("step", n=2).result(30)
    s.command("interpolate", a=0, b=5, steps=4).result(30)
    f = snap(s)
    path, grid = f.sections["interpolation"], f.sections["samples"]
    assert path.shape == (4, 28, 28) and f.header["interpolation"] == {"a": 0, "b": 5, "steps": 4}
    # a batch of 4 vs the grid's 64: equal up to G's float32 rounding (tests/f32_images.py)
    t = s.trainer
    bound = image_bound(t.G, t.fixed_z[[0, 5]])
    path, grid = torch.from_numpy(path.copy()), torch.from_numpy(grid.copy())
    assert_f32_close(path[0], grid[0], bound[0], "start") + assert_f32_close(path[-1], grid[5], bound[1])
    assert f32_excess(path[0], grid[1], bound[0]) > 2  # a path from the wrong sample fails (by ~7x)
    assert not torch.allclose(path[1], grid[0], atol=1e-3)  # and the path does move
    with pytest.raises(InputError, match="a: must be a grid index"):
        s.command("interpolate", a=64, b=0).result(30)
    s.command("interpolate", a=None).result(30)
    assert "interpolation" not in snap(s).sections


def test_cgan_grid_rows_per_class_and_the_class_picker(make):
    s = make(model="cgan")
    h = snap(s).header
    assert h["grid"] == {"rows": 10, "cols": 8, "labels": list(range(10)), "label": None}
    assert snap(s).sections["samples"].shape == (80, 28, 28)
    s.command("grid", label=6).result(30)
    s.command("interpolate", a=3, b=60, steps=3).result(30)
    f = snap(s)
    assert f.header["grid"] == {"rows": 8, "cols": 8, "labels": [6] * 8, "label": 6}
    t = s.trainer
    z, y = class_noise(t.seed, t.config.latent_dim, 6, t.grid_cols, t.device)
    assert_f32_close(torch.from_numpy(f.sections["interpolation"][0].copy()),
                     torch.from_numpy(f.sections["samples"][3].copy()), image_bound(t.G, z[3:4], y[3:4])[0])
    s.command("config", patch={"model": "mlp"}).result(30)  # no classes: the picker is dropped
    assert snap(s).header["grid"]["label"] is None
    with pytest.raises(InputError, match="label"):
        s.command("grid", label=1).result(30)


def test_metrics_job_reports_progress_and_finishes_while_training_goes_on(make):
    s = make()
    sub = Subscriber(lambda: None, maxlen=1000)
    s.subscribe(sub)
    job = s.start_metrics(n=64)
    its = s.command("step", n=2).result(30)["iteration"]  # the worker is not held by the job
    deadline = time.monotonic() + 120
    while job.state == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert job.state == "done" and job.progress == 1.0, job.message
    assert its == 2 and job.result["n"] == 64 and job.result["fid"] >= 0
    assert job.result["iteration"] in (0, 2) and job.result["drs"] is None
    jobs = [e for e in sub.messages if e.get("type") == "job"]
    assert jobs[-1]["state"] == "done" and jobs[-1]["result"]["fid"] == job.result["fid"]
    assert snap(s).header["jobs"] == []


def test_one_job_at_a_time_and_cancel(make):
    s = make()
    job = s.start_metrics(n=5000, drs=True)
    with pytest.raises(RuntimeError, match="already runs"):
        s.start_experiment()
    assert snap(s).header["jobs"][0]["job"] == job.id
    s.jobs.cancel(job.id)
    deadline = time.monotonic() + 60
    while job.state == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job.state == "cancelled"
    again = s.start_experiment(n_train=16, epochs=1)
    s.close()  # ending the session cancels its jobs
    deadline = time.monotonic() + 60
    while again.state == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert again.state in ("cancelled", "done")


def test_play_paces_frames_and_reports_rate_and_eta(make):
    s = make()
    sub = Subscriber(lambda: None)
    s.subscribe(sub)
    s.command("speed", iterations_per_frame=1).result(30)
    s.command("play").result(30)
    time.sleep(1.5)
    seq, _ = s.latest()
    live = snap(s).header
    s.command("pause").result(30)
    assert live["running"] is True and live["images_per_sec"] > 0 and live["eta_seconds"] is not None
    assert 0 < s.trainer.iteration <= 20  # one iteration per frame, frames at most 10 a second
    assert seq <= 20


def test_reset_to_missing_data_names_the_dataset(image_data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("GANDOJO_EMBEDDED", "0")  # no embedded default either
    real = load_split("mnist", "train", image_data_root)
    data = from_arrays(real.images, real.labels, name="fashion-mnist")  # in memory
    s = ImageSession("x", "tok", ImageTrainer(data, default_image_config(batch_size=16), 2),
                     data_root=tmp_path)  # an empty data directory: no MNIST in it
    try:
        s.command("step", n=2).result(30)
        with pytest.raises(InputError, match="dataset: MNIST digits: no complete set"):
            s.command("reset", dataset="mnist").result(30)
        assert s.trainer.iteration == 2  # nothing changed
        info = s.command("reset", seed=9).result(30)
        assert info["iteration"] == 0 and info["seed"] == 9 and info["dataset"] == "fashion-mnist"
    finally:
        s.close()
