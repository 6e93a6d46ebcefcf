"""The lesson check evaluator on made-up observations, and the headless checker on real sessions:
a step's solution passes its checks, its start and a wrong solution fail them."""

from __future__ import annotations

import pytest

from gandojo.engine.lessons.checks import Observation, RunEnd, evaluate
from gandojo.engine.lessons.model import Action, LessonError, catalog, parse_lesson
from gandojo.engine.lessons.progress import LessonBook, LessonProgress
from gandojo.engine.lessons.runner import check_step, check_wrong
from gandojo.engine.manager import SessionManager
from gandojo.gan.config import GanConfig
from gandojo.gan.images.config import default_image_config


def _check(**kw):
    yaml_check = {"id": "c", "text": "t", "hint": "h", **kw}
    les = parse_lesson(
        "title: t\nlevel: beginner\nsummary: s\nsource: A\nsteps:\n"
        "  - {title: t, text: x, checks: [CHECK]}\n".replace("CHECK", repr(yaml_check).replace("'", '"')
                                                             .replace("True", "true")), "t.yaml")
    return les.steps[0].checks[0]


def _obs(its, js, since=0, **kw) -> Observation:
    hist = {"iteration": its, "losses": {"d": [1.3] * len(its), "g": [0.7] * len(its)},
            "metrics": {"js": js}}
    return Observation(its[-1] if its else 0, GanConfig().model_dump(), hist, since, **kw)


def test_metric_window_needs_a_whole_stretch() -> None:
    c = _check(kind="metric", metric="js", op="<=", value=0.2, window=300)
    assert evaluate(c, _obs([100, 200, 300, 400, 500], [0.5, 0.1, 0.1, 0.1, 0.1])).passed
    assert not evaluate(c, _obs([100, 200, 300, 400, 500], [0.1, 0.1, 0.3, 0.1, 0.1])).passed
    r = evaluate(c, _obs([100, 200, 300], [0.1, 0.1, 0.1]))
    assert not r.passed and "held 200 of 300" in r.detail
    assert not evaluate(c, _obs([100, 200, 500], [0.1, None, 0.1])).passed  # a gap breaks it
    # points before the step began do not count
    assert not evaluate(c, _obs([0, 100, 200, 300, 400], [0.1] * 5, since=200)).passed
    late = _check(kind="metric", metric="js", op="<=", value=0.2, window=100, within=300)
    assert not evaluate(late, _obs([100, 200, 300, 400, 500], [0.5, 0.5, 0.1, 0.1, 0.1])).passed
    assert evaluate(late, _obs([100, 200, 300], [0.5, 0.1, 0.1])).passed
    once = _check(kind="metric", metric="d_loss", op=">", value=1.2)
    assert evaluate(once, _obs([100], [0.1])).passed and not evaluate(once, _obs([], [])).passed


def _run(n, seed, js, loss="nonsaturating", it=1000):
    return RunEnd(n, seed, "gaussians", {**GanConfig().model_dump(), "loss": loss}, it, {"js": js})


def test_same_seed_wants_two_runs_that_agree() -> None:
    c = _check(kind="same_seed", iteration=1000, metric="js", tolerance=0.002)
    o = lambda runs: _obs([1000], [0.1], runs=runs)  # noqa: E731
    assert evaluate(c, o([_run(1, 7, 0.25), _run(2, 7, 0.2505)])).passed
    assert not evaluate(c, o([_run(1, 7, 0.25)])).passed  # one run
    assert not evaluate(c, o([_run(1, 7, 0.25), _run(2, 8, 0.25)])).passed  # two seeds
    assert not evaluate(c, o([_run(1, 7, 0.25), _run(2, 7, 0.30)])).passed  # differ
    assert not evaluate(c, o([_run(1, 7, 0.25), _run(2, 7, 0.25, loss="minimax")])).passed
    assert not evaluate(c, o([_run(1, 7, 0.25), _run(2, 7, 0.25, it=999)])).passed


def test_compare_counts_values_on_one_seed() -> None:
    c = _check(kind="compare", field="loss", distinct=3, iteration=1000)
    runs = [_run(1, 7, 0.2, "minimax"), _run(2, 7, 0.2, "hinge"), _run(3, 8, 0.2, "lsgan")]
    assert not evaluate(c, _obs([1000], [0.1], runs=runs)).passed
    runs.append(_run(4, 7, 0.3, "lsgan"))
    r = evaluate(c, _obs([1000], [0.1], runs=runs))
    assert r.passed and "hinge, lsgan, minimax" in r.detail


def test_stages_alarm_config_iteration() -> None:
    st = _check(kind="stages")
    assert not evaluate(st, _obs([1], [0.1], stages=set(range(10)))).passed
    assert evaluate(st, _obs([1], [0.1], stages=set(range(11)))).passed
    al = _check(kind="alarm", alarm="collapse")
    assert evaluate(al, _obs([1], [0.1], alarms={"collapse"})).passed
    assert not evaluate(al, _obs([1], [0.1], alarms={"d-wins"})).passed
    cf = _check(kind="config", path="generator.lr", equals=0.03)
    assert evaluate(cf, _obs([1], [0.1])).passed
    assert not evaluate(_check(kind="config", path="loss", equals="hinge"), _obs([1], [0.1])).passed
    assert not evaluate(_check(kind="iteration", at_least=5), _obs([4], [0.1])).passed


@pytest.fixture(scope="module")
def progress():
    m = SessionManager(batching=False)
    s = m.create("gaussians", GanConfig(), 0)
    p = LessonProgress(catalog()["ganlab-sheet"], s)
    yield p
    p.close()
    m.close_all()


def test_slow_motion_step_passes_with_its_solution_only(progress) -> None:
    step = catalog()["ganlab-sheet"].steps[2]
    wrong = check_step(progress, 2, [Action(answer=1)])  # answered, but never pressed Step
    assert not wrong.passed and any("'stages' fails" in p for p in wrong.problems)
    assert progress.session.subscriber_count == 1  # the stage watcher, while the check is open
    book = LessonBook()
    book._by_id[progress.session.id] = progress
    book.sweep(idle_s=0.0)  # nobody evaluated it since: it lets go (the idle reaper may act)
    assert progress.session.subscriber_count == 0
    report = check_step(progress, 2)
    assert report.passed, report.problems
    assert report.iterations == 1 and step.checks[0].kind == "stages"
    assert progress.session.subscriber_count == 0  # ticked: no watcher left on the session


def test_losses_step_passes_and_too_short_or_wrong_answer_fails(progress) -> None:
    short = check_step(progress, 3, [Action(answer=1), Action(run=200)])
    assert not short.passed and any("held" in p for p in short.problems)
    wrong = check_step(progress, 3, [Action(answer=0)])
    assert "the solution's answer is not accepted" in wrong.problems
    report = check_step(progress, 3)
    assert report.passed, report.problems


# ---------------------------------------------------------------- image lessons (engine/kinds.py)
IMAGE_HEAD = "title: t\nlevel: beginner\nsummary: s\nsource: B\nkind: KIND\nsteps:\n"


def _image_lesson(step: str, kind: str = "image"):
    return parse_lesson(IMAGE_HEAD.replace("KIND", kind) + "  - " + step + "\n", "t.yaml")


FID = '{id: fid, kind: image_metric, metric: fid, op: "<", value: 700, n: 500, text: t, hint: h}'


def test_image_metric_reads_the_newest_measurement_of_enough_samples() -> None:
    c = _image_lesson("{title: t, text: x, checks: [" + FID + "]}").steps[0].checks[0]
    cfg = {"output": "sigmoid"}
    assert not evaluate(c, Observation(0, cfg, {})).passed  # nothing measured yet
    good = {"fid": 512.3, "n": 500, "iteration": 400}
    r = evaluate(c, Observation(400, cfg, {}, images=good))
    assert r.passed and "512.3 at iteration 400" in r.detail
    assert not evaluate(c, Observation(400, cfg, {}, images={**good, "fid": 812.0})).passed
    r = evaluate(c, Observation(400, cfg, {}, images={**good, "n": 200}))  # too few samples
    assert not r.passed and "n=200" in r.detail


@pytest.mark.parametrize("step,kind,words", [
    ("{title: t, text: x, checks: [" + FID + "]}", "2d", ["step 1", "needs a lesson of kind image"]),
    ("{title: t, text: x, setup: {preset: ganlab-default}, checks: [" + FID + "]}", "image",
     ["step 1", "field setup", "ganlab-default"]),
    ("{title: t, text: x, setup: {dataset: gaussians}, checks: [" + FID + "]}", "image",
     ["field setup", "not one of the image datasets"]),
    ("{title: t, text: x, setup: {dataset: mnist, config: {latent_dim: 0}}, checks: [" + FID + "]}",
     "image", ["field setup", "config.latent_dim"]),
    ("{title: t, text: x, checks: [{id: o, kind: config, path: output, equals: tanh, text: t, hint: h}]}",
     "2d", ["step 1", "'output' is not a config field"]),
    ("{title: t, text: x, checks: [" + FID + "], solution: [{knob: minimax-loss}]}", "image",
     ["field solution.0", "minimax-loss"]),
])
def test_image_lessons_are_checked_against_the_image_kind(step, kind, words) -> None:
    with pytest.raises(LessonError) as err:
        _image_lesson(step, kind)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_an_image_lesson_loads_with_image_config_and_datasets() -> None:
    les = _image_lesson("{title: t, text: x, setup: {dataset: mnist, config: {output: sigmoid}}, "
                        "checks: [" + FID + "], solution: [{config: {output: sigmoid}}]}")
    assert les.kind == "image" and les.outline()["kind"] == "image"
    assert catalog()["mnist-knobs"].kind == "image"


def test_mnist_knobs_latent_step_on_a_real_image_session() -> None:
    """Setup, the right solution and the mistake of a config step, on a real MNIST session
    (the embedded images; no training, no slow motion: image sessions have none)."""
    les = catalog()["mnist-knobs"]
    index = next(i for i, s in enumerate(les.steps) if s.title.startswith("Latent"))
    manager = SessionManager()
    session = manager.create("mnist", default_image_config(), 0)
    p = LessonProgress(les, session)
    try:
        assert check_wrong(p, index) == []  # latent 64 leaves the check unpassed
        r = check_step(p, index)
        assert r.passed, r.problems
        assert session.info()["config"]["latent_dim"] == 50 and session.kind == "image"
    finally:
        p.close()
        manager.delete(session.id)
