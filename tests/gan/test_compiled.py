"""The functional / compiled 2D iteration (gan/compiled.py) against Trainer2D's eager one.

One step is compiled for the whole run (tens of seconds of CPU), by the shared StepCompiler of
tests/conftest.py: tests/engine/test_compiler.py's first compile serves it. The other cases run
the same functional step uncompiled, which is cheap and checks the optimizer rules and RNG order.
"""

import math

import pytest
import torch

from gandojo.gan.compiled import BoundStep, FunctionalStep, step_key, unsupported
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.trainer import Trainer2D
from servers import wait_for

# the module's one compile takes tens of seconds, minutes on a busy CPU with a cold inductor cache
pytestmark = pytest.mark.timeout(900)

# small nets and batches keep the compile short; G Adam and D SGD with momentum cover two rules
SMALL = {"batch_size": 32, "generator": {"optimizer": "adam", "lr": 0.01, "betas": [0.5, 0.9]},
         "discriminator": {"momentum": 0.5}}
EPS32 = 2.0 ** -24  # float32 unit roundoff
OPS = 32  # roundings along one parameter's path per step: forward, backward, optimizer update


def config(**patch) -> GanConfig:
    return merged_config(merged_config(GanConfig(), SMALL), patch)


def trainer(cfg: GanConfig, seed: int = 5) -> Trainer2D:
    return Trainer2D(get_dataset("gaussians"), cfg, seed)


def tensors(t: Trainer2D) -> list[torch.Tensor]:
    """Parameters and optimizer state of both nets."""
    out = [p.detach() for p in [*t.G.parameters(), *t.D.parameters()]]
    for opt in (t.opt_g, t.opt_d):
        for st in opt.state.values():
            out += [v for k, v in sorted(st.items()) if k != "step"]
    return out


def tolerance(cfg: GanConfig, iterations: int, scale: float) -> float:
    """Float32 error bound after `iterations`: each D/G step adds at most OPS + log2(batch)
    roundings (the batch reductions) relative to the values' magnitude; errors add up per step."""
    steps = iterations * (cfg.k_d + cfg.k_g)
    return steps * (OPS + math.log2(2 * cfg.batch_size)) * EPS32 * max(1.0, scale)


def max_gap(a: Trainer2D, b: Trainer2D) -> tuple[float, float]:
    """(largest absolute difference, largest magnitude) over parameters and optimizer state."""
    xs, ys = tensors(a), tensors(b)
    assert len(xs) == len(ys)
    gap = max(float((x - y).abs().max()) for x, y in zip(xs, ys))
    return gap, max(float(x.abs().max()) for x in xs)


def run_pair(cfg: GanConfig, step: FunctionalStep, n: int = 20, patch_at: dict | None = None,
             wrong_lr: bool = False) -> tuple[Trainer2D, Trainer2D]:
    eager, fast = trainer(cfg), trainer(cfg)
    fast.fast_step = bound = BoundStep(step)
    for i in range(n):
        if patch_at and i == n // 2:
            for t in (eager, fast):
                assert not t.apply_config(merged_config(t.config, patch_at))
        if wrong_lr and bound.fits(fast):
            bound._h[1, 0] = fast.config.discriminator.lr * 1.01  # a bug: D's lr 1 % off
        eager.iterate()
        fast.iterate()
    return eager, fast


@pytest.fixture(scope="module")
def compiled_step(step_compiler):
    """The compiled step of config(), from the run's shared StepCompiler (tests/conftest.py):
    compiled once per process, also used by tests/engine/test_compiler.py's session (same key)."""
    t = trainer(config())
    # attach() compiles in the compiler's thread; asking again keeps the request wanted
    assert wait_for(lambda: step_compiler.attach(t)["state"] != "compiling", 850)
    assert step_compiler.status(t)["state"] == "compiled", step_compiler.status(t)
    step = t.fast_step.step
    assert isinstance(step, FunctionalStep) and step.compiled is not None
    return step


def cache_entries(step: FunctionalStep) -> int:
    from torch._C._dynamo.eval_frame import _debug_get_cache_entry_list

    return len(_debug_get_cache_entry_list(step.fn.__code__))


def test_compiled_step_equals_eager_within_float32(compiled_step):
    cfg = config()
    eager, fast = run_pair(cfg, compiled_step)
    gap, scale = max_gap(eager, fast)
    assert gap <= tolerance(cfg, 20, scale), gap
    assert eager.iteration == fast.iteration == 20
    assert torch.equal(eager.rng.get_state(), fast.rng.get_state())  # the same draws, in order
    for part in ("d", "g"):
        assert math.isclose(eager.losses()[part], fast.losses()[part],
                            rel_tol=tolerance(cfg, 20, 1.0), abs_tol=tolerance(cfg, 20, 1.0))
    assert cache_entries(compiled_step) == 1  # ran compiled: no second graph


def test_wrong_learning_rate_fails_the_tolerance(compiled_step):
    cfg = config()
    eager, fast = run_pair(cfg, compiled_step, wrong_lr=True)
    gap, scale = max_gap(eager, fast)
    assert gap > 10 * tolerance(cfg, 20, scale), gap


def test_live_lr_and_beta_change_needs_no_recompile(compiled_step):
    cfg = config()
    patch = {"generator": {"lr": 0.02, "betas": [0.6, 0.95]}, "discriminator": {"lr": 0.05,
                                                                                "momentum": 0.8}}
    eager, fast = run_pair(cfg, compiled_step, patch_at=patch)
    gap, scale = max_gap(eager, fast)
    assert gap <= tolerance(cfg, 20, scale), gap
    assert fast.fast_step.fits(fast)
    # the compiling entry point with the changed hyper-parameters still finds the one graph
    bound = fast.fast_step
    t = fast
    args = ([p.detach().clone() for p in t.g_params], [p.detach().clone() for p in t.D.parameters()],
            list(t.G.buffers()), list(t.D.buffers()),
            [[x.clone() for x in xs] for xs in bound._state(t.opt_g, t.g_params, t.config.generator)],
            [[x.clone() for x in xs] for xs in bound._state(t.opt_d, list(t.D.parameters()),
                                                             t.config.discriminator)],
            bound._h, [torch.rand(32, 2) for _ in range(2)], [torch.randn(32, 2) for _ in range(2)],
            [torch.randn(32, 2)])
    compiled_step.compiled(*args)
    assert cache_entries(compiled_step) == 1


def test_observed_and_partial_iterations_stay_eager(compiled_step):
    t = trainer(config())
    t.fast_step = BoundStep(compiled_step)
    stages = []
    t.iterate(observe=lambda stage, **kw: stages.append(stage))
    t.iterate("d")
    assert stages == [0, 1, 2, 3, 4, 5] * 2 + [6, 7, 8, 9, 10]
    assert t.iteration == 2


def test_shape_change_no_longer_fits_and_trains_eagerly(compiled_step):
    t = trainer(config())
    t.fast_step = BoundStep(compiled_step)
    t.iterate()
    state = t.rng.get_state()
    t.apply_config(merged_config(t.config, {"batch_size": 48}))
    assert not t.fast_step.fits(t)
    assert torch.equal(t.rng.get_state(), state)  # a step that does not fit draws nothing
    t.iterate()
    assert t.iteration == 2 and all(math.isfinite(v) for v in t.losses().values())


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_functional_optimizer_rules_equal_torch_optim(opt, momentum):
    net = {"optimizer": opt, "lr": 0.01, "momentum": momentum, "betas": [0.5, 0.9]}
    cfg = config(generator=net, discriminator={**net, "lr": 0.02})
    eager, fast = run_pair(cfg, FunctionalStep(cfg, compile=False), patch_at={
        "discriminator": {"momentum": 0.5, "lr": 0.03}})
    gap, scale = max_gap(eager, fast)
    assert gap <= tolerance(cfg, 20, scale), gap
    assert torch.equal(eager.rng.get_state(), fast.rng.get_state())


@pytest.mark.parametrize("patch", [
    {"loss": "lsgan", "label_smoothing": 0.1, "pack": 2, "k_d": 1, "k_g": 2},
    {"loss": "hinge", "noise": {"dim": 1, "distribution": "uniform"},
     "generator": {"activation": "tanh", "hidden_layers": 2}},
    {"loss": "wgan-gp", "gp_weight": 0.0, "discriminator": {"activation": "leaky_relu"}},
])
def test_functional_step_covers_losses_packing_and_architectures(patch):
    cfg = config(**patch)
    assert unsupported(cfg) is None
    eager, fast = run_pair(cfg, FunctionalStep(cfg, compile=False))
    gap, scale = max_gap(eager, fast)
    assert gap <= tolerance(cfg, 20, scale), gap


@pytest.mark.parametrize("patch", [{"r1_weight": 1.0}, {"loss": "wgan-gp"}, {"unrolled_steps": 2},
                                   {"instance_noise": 0.1}])
def test_cures_it_cannot_express_are_unsupported(patch):
    assert unsupported(config(**patch))


def test_step_key_ignores_hyper_parameters_but_not_shapes():
    base = step_key(config(), "cpu")
    assert step_key(config(generator={"lr": 0.5}, discriminator={"momentum": 0.1}), "cpu") == base
    for patch in ({"batch_size": 33}, {"noise": {"dim": 3}}, {"generator": {"neurons": 9}},
                  {"discriminator": {"optimizer": "adam"}}, {"k_d": 1}, {"loss": "hinge"}):
        assert step_key(config(**patch), "cpu") != base


def test_a_failing_compiled_call_runs_that_iteration_uncompiled_then_eager(monkeypatch):
    cfg = config()
    step = FunctionalStep(cfg, compile=False)
    errors = []

    def broken(*inputs):
        raise RuntimeError("injected run-time failure")

    monkeypatch.setattr(step, "_run", broken)  # the fault; the rest is real
    eager, fast = trainer(cfg), trainer(cfg)
    fast.fast_step = BoundStep(step, errors.append)
    for _ in range(5):
        eager.iterate()
        fast.iterate()
    assert [str(e) for e in errors] == ["injected run-time failure"]  # once; then eager
    assert not fast.fast_step.fits(fast)
    gap, scale = max_gap(eager, fast)
    assert gap <= tolerance(cfg, 5, scale), gap
    assert torch.equal(eager.rng.get_state(), fast.rng.get_state())
