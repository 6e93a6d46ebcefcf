"""The kind registry and the command table: one entry per kind drives creation, loading, rendering
and what the page is told; commands dispatch through a table derived from the Command union."""

import io
import json

import pytest
from PIL import Image
from pydantic import TypeAdapter

from gandojo.engine import commands
from gandojo.engine.base import InputError
from gandojo.engine.image_session import ImageSession
from gandojo.engine.kinds import KINDS, catalogue, kind_for_dataset, kind_of_trainer
from gandojo.engine.manager import SessionManager
from gandojo.engine.render import render_png
from gandojo.engine.session import Session
from gandojo.gan.config import GanConfig
from gandojo.gan.images.config import default_image_config


@pytest.fixture
def manager(image_data_root):
    m = SessionManager("cpu", batching=False)
    m.data_root = image_data_root
    yield m
    m.close_all()


def test_every_dataset_has_exactly_one_kind_and_the_catalogue_is_json():
    cat = json.loads(json.dumps(catalogue()))  # plain JSON, as GET /api/datasets serves it
    assert set(cat["kinds"]) == {"2d", "image"}
    for name, kind in cat["dataset_kinds"].items():
        assert kind_for_dataset(name).name == kind and name in cat["kinds"][kind]["datasets"]
    assert cat["kinds"]["2d"]["default_config"] == json.loads(GanConfig().model_dump_json())
    assert "slowmo" in cat["kinds"]["2d"]["commands"] and "slowmo" not in cat["kinds"]["image"]["commands"]
    assert "interpolate" in cat["kinds"]["image"]["commands"]
    assert set(cat["kinds"]["2d"]["commands"]) <= commands.COMMAND_NAMES  # no internal command
    with pytest.raises(KeyError, match="unknown dataset 'nope'"):
        kind_for_dataset("nope")


def test_the_manager_creates_loads_and_renders_each_kind_through_the_registry(manager):
    s2 = manager.create("ring", GanConfig(), seed=3)
    si = manager.create("mnist", default_image_config(batch_size=16), seed=3)
    assert isinstance(s2, Session) and isinstance(si, ImageSession)
    for s, kind in ((s2, "2d"), (si, "image")):
        assert kind_of_trainer(s.trainer) is KINDS[kind] and s.viewer_token and s.limits is manager.limits
        s.command("step", n=2).result(60)
        resumed = manager.load(s.command("checkpoint").result(60))
        assert type(resumed) is type(s) and resumed.trainer.iteration == 2
        png = render_png(s.command("snapshot").result(60), size=128)
        assert Image.open(io.BytesIO(png)).size[0] >= 100
    with pytest.raises(TypeError, match="takes a GanConfig"):
        manager.create("ring", default_image_config())


def test_a_reset_onto_the_other_kind_is_refused_by_the_session(manager):
    s2 = manager.create("gaussians", GanConfig(), seed=1)
    si = manager.create("mnist", default_image_config(batch_size=16), seed=1)
    for s, other in ((s2, "mnist"), (si, "ring")):
        with pytest.raises(InputError, match="create a new session to switch kinds") as err:
            s.command("reset", dataset=other).result(30)
        assert err.value.field == "dataset"
    assert s2.command("reset", dataset="ring").result(30)["dataset"] == "ring"


def test_the_command_table_comes_from_the_union():
    union = TypeAdapter(commands.Command)
    assert commands.COMMAND_NAMES == {m.model_fields["cmd"].annotation.__args__[0]
                                      for m in commands.COMMAND_MODELS.values()}
    for cls in (Session, ImageSession):  # every handler is a union command or an internal one
        assert set(cls.handlers) <= commands.COMMAND_NAMES | commands.INTERNAL
    assert set(Session.handlers) - set(ImageSession.handlers) >= {"slowmo", "drs", "points"}
    with pytest.raises(ValueError, match="neither a command"):
        commands.handles("teleport")
    cmd = union.validate_python({"cmd": "config", "config": {"generator": {"lr": 0.01}}})
    assert cmd.arguments() == {"patch": {"generator": {"lr": 0.01}}}  # the field's path onward


def test_send_takes_a_validated_command_to_the_optimizer(manager):
    s = manager.create("gaussians", GanConfig(), seed=1)
    cmd = TypeAdapter(commands.Command).validate_json('{"cmd":"config","config":{"generator":{"lr":0.01}}}')
    assert s.send(cmd).result(30)["config"]["generator"]["lr"] == 0.01
    assert s.trainer.opt_g.param_groups[0]["lr"] == 0.01
