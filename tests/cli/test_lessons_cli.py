"""`gandojo lessons list | check`: readable output, exit status 1 when a step fails, 2 for an
unknown lesson, a broken file named; a lecturer's folder is checked on a real session."""

from __future__ import annotations

from pathlib import Path

from gandojo.cli import main

LESSON = """title: "Train a little"
level: beginner
summary: "Run N iterations."
source: "test"
steps:
  - title: "Train"
    text: "Press Run N."
    setup: {dataset: gaussians, preset: ganlab-default, seed: 2}
    checks:
      - {id: trained, kind: iteration, at_least: 40, text: "40 iterations", hint: "Run N = 40"}
    solution: [{run: RUN}]
    budget: 100
"""


def _write(tmp: Path, run: int) -> Path:
    (tmp / "tiny.yaml").write_text(LESSON.replace("RUN", str(run)), encoding="utf-8")
    return tmp


def test_list_and_validate(capsys) -> None:
    assert main(["lessons", "list"]) == 0
    out = capsys.readouterr().out
    assert "ganlab-sheet" in out and "6 steps" in out
    assert main(["lessons", "check", "--validate-only"]) == 0
    assert "lesson files are valid" in capsys.readouterr().out
    assert main(["lessons", "check", "no-such-lesson"]) == 2
    assert "no lesson 'no-such-lesson'" in capsys.readouterr().err


def test_a_broken_folder_is_named(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.yaml").write_text(LESSON.replace("at_least: 40", "at_least: -1"), "utf-8")
    assert main(["lessons", "check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml: step 1, field checks.0.at_least" in err


def test_check_passes_and_fails_on_a_real_session(tmp_path: Path, capsys) -> None:
    assert main(["lessons", "check", "--dir", str(_write(tmp_path, 40))]) == 0
    out = capsys.readouterr().out
    assert "ok   step  1 Train (40 iterations" in out and "1 of 1 lessons passed" in out
    assert main(["lessons", "check", "--dir", str(_write(tmp_path, 20))]) == 1
    out = capsys.readouterr().out
    assert "FAIL step  1" in out and "check 'trained' fails after the solution: iteration 20 of 40" in out
