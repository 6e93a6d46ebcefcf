"""Server limits over a real server with tiny limits: each one → a 4xx naming the field and the limit."""

from __future__ import annotations

import httpx
import pytest

from gandojo.engine.limits import n_params, params_2d
from gandojo.gan.config import GanConfig
from gandojo.gan.datasets import get_dataset
from gandojo.gan.trainer import Trainer2D

from .helpers import Client, auth, ws_url

LIMITS = {"max_sessions": 4, "max_params": 2000, "max_batch": 64, "max_heatmap_resolution": 32,
          "max_step_n": 50}
SMALL = {"batch_size": 32, "heatmap_resolution": 24}  # within the limits (the defaults are not)
# (config patch over a limit, the field it breaks, the setting named, that setting's value)
OVER = [
    ({"batch_size": 65}, "batch_size", "max_batch"),
    ({"heatmap_resolution": 40}, "heatmap_resolution", "max_heatmap_resolution"),
    ({"generator": {"hidden_layers": 2, "neurons": 64}}, "params", "max_params"),
]


@pytest.fixture(scope="module")
def tight(make_server) -> str:
    return make_server(**{f"GANDOJO_{k.upper()}": v for k, v in LIMITS.items()})


@pytest.fixture
def session(tight):
    r = httpx.post(f"{tight}/api/sessions", json={"config": SMALL}, timeout=10)
    assert r.status_code == 201, r.text
    s = r.json()
    yield s
    httpx.delete(f"{tight}/api/sessions/{s['id']}", headers=auth(s), timeout=10)


def assert_names_limit(detail: list, loc: list, setting: str) -> None:
    assert detail[0]["loc"] == loc, detail
    assert setting in detail[0]["msg"] and f"{LIMITS[setting]:,}" in detail[0]["msg"]


def test_limits_are_exposed(tight):
    served = httpx.get(f"{tight}/api/limits").json()["server"]
    assert served == {**LIMITS, "max_csv_bytes": 1_000_000}  # the CSV upload's size limit too
    listed = httpx.get(f"{tight}/api/sessions").json()
    assert listed["limits"]["max_batch"] == 64 and listed["max_sessions"] == 4


def _prop(schema: dict, path: str) -> dict:
    """The JSON-schema property at a dotted config path, following `$ref`s into `$defs`."""
    node = schema
    for name in path.split("."):
        node = node["properties"][name]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_limits_serve_every_config_bound_as_json_schema(tight):
    got = httpx.get(f"{tight}/api/limits").json()
    assert set(got) >= {"server", "config", "commands"} and set(got["config"]) == {"2d", "image"}
    two, image = got["config"]["2d"], got["config"]["image"]
    assert _prop(two, "generator.neurons")["maximum"] == 256
    assert _prop(two, "generator.lr")["exclusiveMinimum"] == 0
    assert _prop(two, "noise.dim")["minimum"] == 1 and _prop(two, "noise.dim")["maximum"] == 16
    assert "wgan-gp" in _prop(two, "loss")["enum"]
    assert _prop(image, "batch_size")["minimum"] == 16 and _prop(image, "latent_dim")["maximum"] == 512
    assert _prop(image, "model")["enum"] == ["mlp", "dcgan", "cgan"]
    cmds = got["commands"]["$defs"]  # the websocket commands' bounds (stage_ms, speed, seed)
    assert cmds["SlowmoCmd"]["properties"]["stage_ms"]["anyOf"][0]["maximum"] == 3000
    assert cmds["SpeedCmd"]["properties"]["iterations_per_frame"]["maximum"] == 10_000
    req = got["requests"]  # REST bodies / queries the page edits (image metrics, experiment, export)
    assert req["metrics"]["properties"]["n"]["minimum"] == 500 and req["metrics"]["properties"]["n"]["maximum"] == 10_000
    assert req["export"]["properties"]["n"]["maximum"] == 10_000 and req["experiment"]["properties"]["epochs"]["anyOf"][0]["maximum"] == 30


@pytest.mark.parametrize("patch,field,setting", OVER)
def test_create_over_a_limit_is_refused(tight, patch, field, setting):
    r = httpx.post(f"{tight}/api/sessions", json={"config": {**SMALL, **patch}}, timeout=10)
    assert r.status_code == 422
    assert_names_limit(r.json()["detail"], ["body", "config", field], setting)
    assert httpx.get(f"{tight}/api/sessions").json()["count"] == 0  # nothing was built


def test_defaults_over_a_limit_are_refused_too(tight):
    r = httpx.post(f"{tight}/api/sessions", json={}, timeout=10)  # default batch 150 > 64
    assert r.status_code == 422
    assert_names_limit(r.json()["detail"], ["body", "config", "batch_size"], "max_batch")


@pytest.mark.parametrize("patch,field,setting", OVER)
def test_patch_over_a_limit_is_refused(tight, session, patch, field, setting):
    url = f"{tight}/api/sessions/{session['id']}"
    r = httpx.patch(f"{url}/config", json=patch, headers=auth(session), timeout=10)
    assert r.status_code == 422
    assert_names_limit(r.json()["detail"], ["body", field], setting)
    assert httpx.get(url).json()["config"] == session["config"]  # unchanged


@pytest.mark.parametrize("patch,field,setting", OVER)
def test_websocket_config_over_a_limit_is_refused(tight, session, patch, field, setting):
    with Client(ws_url(tight, session)) as c:
        c.send(cmd="config", config=patch)
        err = c.wait_message(lambda m: m["type"] == "error")
        assert err["field"] == f"config.{field}"
        assert setting in err["detail"] and f"{LIMITS[setting]:,}" in err["detail"]
        c.send(cmd="config", config={"batch_size": 64})  # at the limit: fine, socket alive
        assert c.wait_message(lambda m: m["type"] == "config")["config"]["batch_size"] == 64


def test_preset_over_a_limit_is_refused(tight, session):
    r = httpx.post(f"{tight}/api/sessions/{session['id']}/preset", json={"name": "gaussians-balanced"},
                   headers=auth(session), timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "limit_exceeded"


def test_step_over_max_step_n_is_refused(tight, session):
    url = f"{tight}/api/sessions/{session['id']}/step"
    r = httpx.post(url, json={"n": 51}, headers=auth(session), timeout=10)
    assert r.status_code == 422
    assert_names_limit(r.json()["detail"], ["body", "n"], "max_step_n")
    assert httpx.post(url, json={"n": 50}, headers=auth(session), timeout=10).json()["iteration"] == 50
    with Client(ws_url(tight, session)) as c:
        c.send(cmd="step", n=51)
        err = c.wait_message(lambda m: m["type"] == "error")
        assert err["field"] == "n" and "max_step_n" in err["detail"]
        c.send(cmd="step", n=2)
        assert c.wait_message(lambda m: m["type"] == "ack")["iteration"] == 52


def test_max_sessions_gives_429(tight):
    made = []
    try:
        while len(made) < LIMITS["max_sessions"]:
            r = httpx.post(f"{tight}/api/sessions", json={"config": SMALL}, timeout=10)
            assert r.status_code == 201, r.text
            made.append(r.json())
        r = httpx.post(f"{tight}/api/sessions", json={"config": SMALL}, timeout=10)
        assert r.status_code == 429 and "max_sessions" in r.json()["detail"]
    finally:
        for s in made:
            httpx.delete(f"{tight}/api/sessions/{s['id']}", headers=auth(s), timeout=10)
    assert httpx.post(f"{tight}/api/sessions", json={"config": SMALL}, timeout=10).status_code == 201


@pytest.mark.parametrize("patch", [{}, {"pack": 3, "noise": {"dim": 5}},
                                   {"generator": {"hidden_layers": 3, "neurons": 17},
                                    "discriminator": {"hidden_layers": 0}}])
def test_parameter_count_matches_the_built_models(patch):
    config = GanConfig.model_validate(patch)
    t = Trainer2D(get_dataset("gaussians"), config, seed=0)
    assert params_2d(config) == n_params(t.G) + n_params(t.D)
