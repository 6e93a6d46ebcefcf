"""engine/create.py on a real manager: a session from a preset, a partial config, a pretrained start,
an image request, a saved name; refusals name the request field."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from gandojo.engine import create
from gandojo.engine.create import RequestError, SessionRequest, create_session, from_saved
from gandojo.engine.manager import SessionManager
from gandojo.engine.store import SessionStore
from gandojo.gan.presets import PRESETS


@pytest.fixture
def manager(image_data_root):
    m = SessionManager("cpu", idle_pause_s=1e6, idle_timeout_s=1e6)
    m.data_root = image_data_root
    yield m
    m.close_all()


def test_a_partial_config_merges_onto_the_preset(manager):
    name = next(iter(PRESETS))
    s = create_session(manager, SessionRequest(dataset="ring8", seed=3, preset=name,
                                               config={"k_g": 2}, keep=True), owner="10.0.0.1")
    want = PRESETS[name].config().model_dump()
    assert s.info()["config"] == {**want, "k_g": 2}
    assert (s.keep, s.owner, s.trainer.seed) == (True, "10.0.0.1", 3)


@pytest.mark.parametrize("req,loc", [
    (SessionRequest(config={"generator": {"neurons": 257}}), ("generator", "neurons")),
    (SessionRequest(dataset="mnist", config={"generator": 3}), ("generator",)),
    (SessionRequest(dataset="mnist", config={"model": "gpt"}), ("model",)),
])
def test_a_bad_config_is_a_validation_error_naming_its_path(manager, req, loc):
    with pytest.raises(ValidationError) as err:
        create_session(manager, req)
    assert err.value.errors()[0]["loc"] == loc
    assert len(manager) == 0


@pytest.mark.parametrize("req,field", [
    (SessionRequest(dataset="mnist", preset=next(iter(PRESETS))), "preset"),
    (SessionRequest(dataset="mnist", pretrained=True), "pretrained"),
    (SessionRequest(dataset="ring8", pretrained=True, config={}), "pretrained"),
])
def test_requests_that_cannot_be_met_name_the_field(manager, req, field):
    with pytest.raises(RequestError) as err:
        create_session(manager, req)
    assert err.value.field == field and len(manager) == 0


def test_image_requests_take_each_models_defaults(manager):
    s = create_session(manager, SessionRequest(dataset="mnist", seed=1,
                                               config={"model": "dcgan", "batch_size": 16}))
    cfg = s.info()["config"]
    assert s.kind == "image" and cfg["model"] == "dcgan" and cfg["generator"]["activation"] == "relu"
    assert cfg["batch_size"] == 16


def test_a_pretrained_start_continues_the_shipped_model(manager):
    s = create_session(manager, SessionRequest(dataset="ring8", pretrained=True))
    assert s.trainer.iteration > 0


def test_a_saved_name_resumes_and_only_the_savers_token_takes_ownership(manager, tmp_path):
    store = SessionStore(tmp_path)
    first = create_session(manager, SessionRequest(dataset="ring8", seed=4))
    first.command("step", n=3).result(30)
    store.save_session(first, "run")
    other = from_saved(manager, store, "run", token="not-the-token")
    mine = from_saved(manager, store, "run", token=first.token)
    assert other.trainer.iteration == mine.trainer.iteration == 3
    assert (other.saved_as, other.save_owner) == ("run", None)
    assert mine.save_owner is not None


def test_the_catalogue_names_each_datasets_kind():
    got = create.datasets()
    assert {d["kind"] for d in got["datasets"]} == {"2d"}
    assert got["dataset_kinds"]["mnist"] == "image" and got["kinds"]["2d"]["toggles"]
    assert set(create.config_schemas()) == {"2d", "image"}


def test_the_custom_point_datasets_are_listed_from_their_one_source():
    from gandojo.gan.datasets import CUSTOM, points_dataset

    got = create.datasets()["custom_datasets"]
    assert [d["name"] for d in got] == list(CUSTOM) == ["drawn", "csv"]
    assert {d["kind"] for d in got} == {"2d"}
    for d in got:  # the title a session on those points reports is the listed one
        assert points_dataset(torch.zeros(3, 2), d["name"]).title == d["title"]
