"""What can be trained, over a real server: health, the catalogue of every kind (datasets, their
kind, what the registry serves the page), presets."""

from __future__ import annotations

import httpx


def test_health_datasets_presets(server):
    h = httpx.get(f"{server}/api/health").json()
    assert h["status"] == "ok" and h["device"] == "cpu" and h["version"]
    names = [d["name"] for d in httpx.get(f"{server}/api/datasets").json()["datasets"]]
    assert names == ["gaussians", "line", "ring", "disjoint", "ring8", "grid25"]
    assert httpx.get(f"{server}/api/presets").json()["presets"]


def test_every_dataset_names_its_kind_and_the_kinds_are_described(server):
    got = httpx.get(f"{server}/api/datasets").json()
    flat, images = got["datasets"], got["image_datasets"]
    assert {d["kind"] for d in flat} == {"2d"} and {d["kind"] for d in images} == {"image"}
    assert got["dataset_kinds"] == {**{d["name"]: "2d" for d in flat},
                                    **{d["name"]: "image" for d in images}}
    two, image = got["kinds"]["2d"], got["kinds"]["image"]
    assert two["datasets"] == [d["name"] for d in flat] and "mnist" in image["datasets"]
    assert {"heatmap", "gradients"} <= set(two["toggles"]) and "slowmo" in two["commands"]
    assert "interpolate" in image["commands"] and "slowmo" not in image["commands"]
    assert two["default_config"] == got["default_config"]
    assert image["default_config"] == got["image_default_config"]
