"""Lesson files: every built-in one loads and names only real page ids; a broken file gets an error
naming the file, the step and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gandojo.gan.config import GanConfig
from gandojo.gan.presets import KNOBS
from gandojo.engine.lessons.model import LessonError, catalog, load_dir, parse_lesson

ROOT = Path(__file__).resolve().parents[2]
LESSON_DIR = ROOT / "backend" / "gandojo" / "lessons"
BASE = (LESSON_DIR / "ganlab-sheet.yaml").read_text(encoding="utf-8")


def _readme_ids() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Page test ids", 1)[1].split("\n## ", 1)[0]
    ids = set(re.findall(r"`([a-z0-9][a-z0-9_-]*)`", section))
    # the generated families the section documents: knob-<name>, cfg-<config path with dashes>
    cfg = GanConfig().model_dump()
    paths = [f"{k}-{k2}" for k, v in cfg.items() if isinstance(v, dict) for k2 in v]
    return ids | {f"knob-{k}" for k in KNOBS} | {f"cfg-{p}" for p in [*cfg, *paths]}


def test_every_builtin_lesson_loads() -> None:
    lessons = catalog()
    files = sorted(p.stem for p in LESSON_DIR.glob("*.yaml"))
    assert sorted(lessons) == files
    assert {"ganlab-sheet", "mode-collapse", "losses", "mnist-knobs", "dcgan", "conditional-gan",
            "divergences"} <= set(lessons)
    assert {les.id for les in lessons.values() if les.kind == "image"} >= {
        "mnist-knobs", "dcgan", "conditional-gan", "divergences"}
    for les in lessons.values():
        assert les.steps and les.title and les.summary
        for step in les.steps:
            assert step.checks or step.question is not None


def test_highlighted_ids_are_documented_page_ids() -> None:
    known = _readme_ids()
    for les in catalog().values():
        for n, step in enumerate(les.steps, 1):
            missing = set(step.highlight) - known
            assert not missing, f"{les.id} step {n} highlights undocumented ids {missing}"


def _broken(edit) -> str:
    data = yaml.safe_load(BASE)
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True)


def _set(path: list, value):
    def edit(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


CASES = [
    # (edit, the words the error must contain)
    (_set(["steps", 1, "setup", "preset"], "no-such-preset"),
     ["ganlab-sheet.yaml", "step 2", "field setup", "no-such-preset"]),
    (_set(["steps", 3, "checks", 0, "value"], "high"),
     ["step 4", "field checks.0.value", "number"]),
    (_set(["steps", 3, "checks", 0, "metric"], "accuracy"),
     ["step 4", "field checks.0.metric"]),
    (_set(["steps", 0, "question", "answer"], 5),
     ["step 1", "field question", "index of one of the 3 options"]),
    (_set(["steps", 2, "checks", 0, "kind"], "telepathy"),
     ["step 3", "field checks.0", "telepathy"]),
    (_set(["steps", 4, "setup", "config"], {"generator": {"lr": -1}}),
     ["step 5", "field setup", "config.generator.lr", "greater than 0"]),
    (_set(["steps", 5, "solution", 1], {"run": 100, "reset": True}),
     ["step 6", "field solution.1", "exactly one of"]),
    (_set(["steps", 5, "solution", 1], {"run": 5000}),
     ["step 6", "over the budget 600"]),
    (_set(["steps", 1, "solution", 0], {"knob": "warp-drive"}),
     ["step 2", "field solution.0", "warp-drive"]),
    (_set(["steps", 3, "highlight"], ["Bad Id"]),
     ["step 4", "field highlight.0"]),
    (_set(["level"], "expert"), ["ganlab-sheet.yaml", "field level"]),
    (lambda d: d.pop("title"), ["field title", "Field required"]),
    (_set(["steps", 0, "setup", "layers"], {"fog": True}), ["step 1", "field setup.layers.fog"]),
    (_set(["steps", 2, "setup", "slowmo"], {"on": True, "stage_ms": 50}),
     ["step 3", "field setup.slowmo.stage_ms", "200"]),
    (_set(["steps", 3, "checks", 1, "id"], "d-near-log4"), ["step 4", "check ids repeat"]),
]


@pytest.mark.parametrize("edit,words", CASES)
def test_a_broken_file_names_file_step_and_field(edit, words) -> None:
    with pytest.raises(LessonError) as err:
        parse_lesson(_broken(edit), "ganlab-sheet.yaml")
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_not_yaml_and_wrong_id_are_named(tmp_path: Path) -> None:
    with pytest.raises(LessonError, match=r"^x\.yaml: not valid YAML"):
        parse_lesson("title: [unclosed", "x.yaml")
    with pytest.raises(LessonError, match=r"^x\.yaml: field id: 'other' differs"):
        parse_lesson("id: other\n" + BASE, "x.yaml")
    (tmp_path / "mine.yaml").write_text(BASE.replace("level: beginner", "level: 3"), "utf-8")
    with pytest.raises(LessonError, match=r"^mine\.yaml: field level"):
        load_dir(tmp_path)


def test_a_lecturers_folder_loads_without_code(tmp_path: Path) -> None:
    (tmp_path / "my-lesson.yaml").write_text(BASE, "utf-8")
    (tmp_path / "notes.txt").write_text("not a lesson", "utf-8")
    lessons = load_dir(tmp_path)
    assert list(lessons) == ["my-lesson"] and len(lessons["my-lesson"].steps) == 6
