"""The image lessons' own checks (engine/lessons/check_models.py, checks.py): DRS and DRS-vs-plain
readings of the metrics job, the retraining experiment's mixes, Adam's betas as a list; their
validation errors; the `experiment` action followed to its result on a real cgan session; and the
config steps of the dcgan and conditional-gan lessons on a real session."""

from __future__ import annotations

import pytest

from gandojo.engine.lessons.checks import Observation, evaluate
from gandojo.engine.lessons.model import LessonError, catalog, parse_lesson
from gandojo.engine.lessons.progress import LessonProgress
from gandojo.engine.lessons.runner import check_step, check_wrong
from gandojo.engine.manager import SessionManager
from gandojo.gan.images.config import default_image_config

HEAD = "title: t\nlevel: beginner\nsummary: s\nsource: E\nkind: KIND\nsteps:\n"


def _lesson(step: str, kind: str = "image"):
    return parse_lesson(HEAD.replace("KIND", kind) + "  - " + step + "\n", "t.yaml")


def _check(check: str, kind: str = "image"):
    return _lesson("{title: t, text: x, checks: [" + check + "]}", kind).steps[0].checks[0]


MEASURED = {"fid": 498.4, "precision": 0.84, "recall": 0.0, "n": 500, "iteration": 300,
            "drs": {"fid": 470.8, "precision": 0.88, "recall": 0.0, "acceptance": 0.28}}
PLAIN = {**MEASURED, "drs": None}  # a measurement without DRS


def _img(m) -> Observation:
    return Observation(300, {}, {}, images=m)


def test_drs_checks_read_the_drs_part_and_its_gain() -> None:
    fid = _check('{id: d, kind: image_metric, metric: fid, drs: true, op: "<", value: 480, text: t, hint: h}')
    assert evaluate(fid, _img(MEASURED)).passed
    r = evaluate(fid, _img(PLAIN))
    assert not r.passed and "no DRS" in r.detail
    assert not evaluate(fid, Observation(0, {}, {})).passed
    gain = _check('{id: g, kind: image_metric, metric: fid, drs: true, versus_plain: true, op: "<", '
                  'value: -10, text: t, hint: h}')
    r = evaluate(gain, _img(MEASURED))
    assert r.passed and "DRS fid − plain -27.6" in r.detail
    worse = {**MEASURED, "drs": {**MEASURED["drs"], "fid": 495.0}}  # only 3.4 lower: not enough
    assert not evaluate(gain, _img(worse)).passed
    assert not evaluate(gain, _img(PLAIN)).passed
    acc = _check('{id: a, kind: image_metric, metric: acceptance, drs: true, op: ">", value: 0.2, text: t, hint: h}')
    assert evaluate(acc, _img(MEASURED)).passed


MIXES = [{"real_fraction": f, "test_accuracy": a} for f, a in
         ((1.0, 0.67), (0.75, 0.61), (0.5, 0.53), (0.25, 0.4), (0.0, 0.45))]


def _exp(**kw) -> Observation:
    return Observation(300, {}, {}, experiment={"mixes": MIXES, "n_train": 1000, "iteration": 300, **kw})


def test_experiment_check_reads_a_mix_and_a_difference() -> None:
    only = _check('{id: e, kind: experiment, real_percent: 0, op: ">=", value: 0.4, text: t, hint: h}')
    r = evaluate(only, _exp())
    assert r.passed and "0/100 mix 0.450" in r.detail and "100/0: 0.670" in r.detail
    assert not evaluate(only, _exp(mixes=[{**MIXES[4], "test_accuracy": 0.098}])).passed
    r = evaluate(only, Observation(0, {}, {}))
    assert not r.passed and "no experiment run in this step yet" in r.detail
    assert not evaluate(only, _exp(n_train=500)).passed  # fewer images per mix than asked
    assert not evaluate(only, _exp(mixes=MIXES[:4])).passed  # the mix is missing (cancelled)
    diff = _check('{id: d, kind: experiment, real_percent: 75, versus: 100, op: ">=", value: -0.05, '
                  'text: t, hint: h}')
    assert not evaluate(diff, _exp()).passed  # 0.61 − 0.67 = −0.06
    better = [MIXES[0], {**MIXES[1], "test_accuracy": 0.66}, *MIXES[2:]]
    assert evaluate(diff, _exp(mixes=better)).passed


def test_config_check_compares_a_pair_given_as_a_list() -> None:
    c = _check('{id: b, kind: config, path: generator.betas, equals: [0.5, 0.999], text: t, hint: h}')
    cfg = default_image_config("dcgan").model_dump()
    assert isinstance(cfg["generator"]["betas"], tuple)
    assert evaluate(c, Observation(0, cfg, {})).passed
    cfg["generator"]["betas"] = (0.9, 0.999)
    assert not evaluate(c, Observation(0, cfg, {})).passed


EXP = '{id: e, kind: experiment, real_percent: 0, op: ">=", value: 0.4, text: t, hint: h}'


@pytest.mark.parametrize("step,kind,words", [
    ("{title: t, text: x, checks: [" + EXP + "]}", "2d", ["step 1", "an experiment check needs a lesson of kind image"]),
    ("{title: t, text: x, checks: [" + EXP.replace("real_percent: 0", "real_percent: 30") + "]}",
     "image", ["field checks.0.real_percent"]),
    ("{title: t, text: x, checks: [" + EXP.replace("op:", "versus: 0, op:") + "]}", "image",
     ["versus must name another mix"]),
    ('{title: t, text: x, checks: [{id: i, kind: image_metric, metric: inception_score, drs: true, '
     'op: ">", value: 2, text: t, hint: h}]}', "image", ["DRS measures", "inception_score"]),
    ('{title: t, text: x, checks: [{id: i, kind: image_metric, metric: fid, versus_plain: true, '
     'op: "<", value: 0, text: t, hint: h}]}', "image", ["set drs"]),
    ('{title: t, text: x, checks: [{id: i, kind: image_metric, metric: acceptance, '
     'op: ">", value: 0.1, text: t, hint: h}]}', "image", ["acceptance is DRS's own number"]),
    ("{title: t, text: x, checks: [{id: i, kind: iteration, at_least: 5, text: t, hint: h}], "
     "solution: [{experiment: true}]}", "2d", ["field solution.0", "for image sessions"]),
])
def test_bad_image_checks_are_named(step, kind, words) -> None:
    with pytest.raises(LessonError) as err:
        _lesson(step, kind)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_the_experiment_action_is_followed_to_its_result_on_a_real_session() -> None:
    """A tiny experiment (100 images per mix, 1 epoch) on an untrained cgan: the check fails at
    the step's start, the `experiment` action starts the job, the checker waits and reads it."""
    les = _lesson("{title: t, text: x, checks: [{id: e, kind: experiment, real_percent: 100, "
                  'op: ">=", value: 0.0, n_train: 100, epochs: 1, text: t, hint: h}], '
                  "solution: [{experiment: true}], budget: 0}")
    manager = SessionManager()
    session = manager.create("mnist", default_image_config("cgan"), 0)
    p = LessonProgress(les, session)
    try:
        r = check_step(p, 0)
        assert r.passed, r.problems
        e = p.observe().experiment
        assert e["n_train"] == 100 and e["epochs"] == 1 and len(e["mixes"]) == 5
    finally:
        p.close()
        manager.delete(session.id)


@pytest.mark.parametrize("lesson,title", [("dcgan", "Tuning"), ("conditional-gan", "A conditional G")])
def test_config_steps_of_the_new_image_lessons_on_a_real_session(lesson, title) -> None:
    """The config steps of lessons 5 and 6 (no training): the mistake leaves a check unpassed,
    the solution passes, on a real MNIST session (the training steps: benchmarks/accept_lessons.py)."""
    les = catalog()[lesson]
    index = next(i for i, s in enumerate(les.steps) if s.title.startswith(title))
    manager = SessionManager()
    session = manager.create("mnist", default_image_config(), 0)
    p = LessonProgress(les, session)
    try:
        assert check_wrong(p, index) == []
        r = check_step(p, index)
        assert r.passed, r.problems
    finally:
        p.close()
        manager.delete(session.id)


def test_with_config_counts_only_measurements_under_those_settings() -> None:
    c = _check('{id: r, kind: image_metric, metric: fid, op: "<", value: 600, '
               'with_config: {generator: {activation: relu, betas: [0.5, 0.999]}}, text: t, hint: h}')
    relu = default_image_config("dcgan").model_dump()
    leaky = default_image_config("dcgan", generator={"activation": "leaky_relu"}).model_dump()
    assert evaluate(c, _img({**PLAIN, "config": relu})).passed
    r = evaluate(c, _img({**PLAIN, "config": leaky}))  # a good FID of the LeakyReLU G
    assert not r.passed and "measured with other settings" in r.detail
    assert not evaluate(c, _img(PLAIN)).passed  # a result without its config
    with pytest.raises(LessonError, match="with_config.generator.slope is not a config field"):
        _check('{id: r, kind: image_metric, metric: fid, op: "<", value: 600, '
               'with_config: {generator: {slope: 0.1}}, text: t, hint: h}')
