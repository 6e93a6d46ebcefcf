"""The class tiles on real sessions and encoded frames: a 2D thumbnail is the newest frame's points
as 8-bit places in its view (base64), points outside the view left out; an image one is the first
sample pictures in 8-bit gray; both made once per frame and kept with the class."""

from __future__ import annotations

import base64
import time

import numpy as np

from gandojo.engine.fanout import Subscriber
from gandojo.engine.frames import Frame
from gandojo.engine.lessons.classes import ClassRegistry, _points, quantize, thumbnail
from gandojo.engine.lessons.progress import LessonBook, frame_header
from gandojo.engine.manager import SessionManager
from gandojo.gan.config import GanConfig


def _places(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), np.uint8).reshape(-1, 2)


def test_quantize_places_points_in_the_view_and_leaves_out_the_rest() -> None:
    view = {"x": [-2.0, 2.0], "y": [0.0, 10.0]}
    pts = np.array([[-2, 0], [2, 10], [0, 5], [3, 5], [0, -1], [np.nan, 1]], np.float32)
    assert _places(quantize(pts, view)).tolist() == [[0, 0], [255, 255], [128, 128]]
    assert quantize(None, view) == "" and quantize(pts, {"x": [1, 1], "y": [0, 1]}) == ""


def test_tiles_read_the_newest_frame_once_and_thumbnail_its_points() -> None:
    m = SessionManager(batching=False)
    try:
        reg, book = ClassRegistry(), LessonBook()
        room = reg.create("t")
        s = m.create("gaussians", GanConfig(), seed=0)
        s.subscribe(Subscriber(lambda: None))  # somebody watches: frames are published
        reg.join(room.code, s, "ada")
        assert reg.tiles(room, book, True)[0]["thumb"] is None  # no frame yet
        s.command("step", n=3)
        deadline = time.monotonic() + 10
        while (s.latest() is None or frame_header(s.latest()[1])["iteration"] < 3) and time.monotonic() < deadline:
            time.sleep(0.05)
        seq, data = s.latest()
        head = frame_header(data)
        [tile] = reg.tiles(room, book, True)
        th = tile["thumb"]
        assert th["view"] == head["view"] and th["levels"] == 255
        real = _points(data, head, "real", 150)
        assert len(real) == 150 and np.array_equal(_places(th["real"]), _places(quantize(real, head["view"])))
        assert tile["iteration"] == 3 and tile["js"] == head["metrics"]["js"]
        assert room.frames[s.id][0] == seq  # kept for this frame: the next refresh reads nothing again
        assert reg.tiles(room, book, True)[0]["thumb"] is th
        assert reg.tiles(room, book, False)[0]["thumb"] is None
    finally:
        m.close_all()


def test_an_image_frame_thumbnail_is_its_first_sample_pictures_in_8_bit_gray() -> None:
    rng = np.random.default_rng(0)
    samples = rng.random((16, 28, 28), dtype=np.float32)
    samples[0, 0, :3] = [-0.5, 1.5, np.nan]  # out of [0, 1]: clipped; NaN: black
    data = Frame({"type": "frame", "kind": "image"}, {"samples": samples}).encode()
    th = thumbnail(data, frame_header(data))
    assert th["shape"] == [4, 28, 28]
    gray = np.frombuffer(base64.b64decode(th["images"]), np.uint8).reshape(4, 28, 28)
    assert gray[0, 0, :3].tolist() == [0, 255, 0]
    assert np.abs(gray[1:] / 255 - samples[1:4]).max() <= 0.5 / 255 + 1e-6
    assert thumbnail(b"", {"kind": "image", "sections": []}) is None  # no pictures in the frame


def test_points_are_found_after_sections_of_other_shapes() -> None:
    real = np.arange(20, dtype=np.float32).reshape(10, 2) / 20
    data = Frame({"kind": "2d", "view": {"x": [0, 1], "y": [0, 1]}},
                 {"heatmap": np.ones((3, 5), np.float32), "real": real}).encode()
    assert np.array_equal(_points(data, frame_header(data), "real", 4), real[:4])
    assert _points(data, frame_header(data), "heatmap", 4) is None  # not 2 columns
