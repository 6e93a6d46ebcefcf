"""What the alarm says to do: the likely cause of a failure and only the cures tested for it.

A cure is named only when its preset passed the 5-seed acceptance test on this dataset
(tests/gan/test_presets.py: every cure preset reaches full coverage in >= 4 of 5 seeds), so the
banner never suggests a remedy that was not shown to work where the student is.
"""

from __future__ import annotations

from typing import Any

from ..gan.config import GanConfig
from ..gan.presets import PRESETS


def cures_tested(dataset: str | None, provocation: str | None = None) -> list[str]:
    """Titles (with preset names) of the cure presets for `dataset`, optionally only those that
    cure the provocation named `provocation` (e.g. "g-lr-too-high")."""
    out = []
    for p in PRESETS.values():
        if p.kind != "cure" or dataset not in p.datasets:
            continue
        if provocation is None or p.cures == f"{dataset}-{provocation}":
            out.append(f"“{p.title}” (preset {p.name})")
    return out


def collapse_cause(cfg: GanConfig, metrics: dict[str, Any]) -> tuple[str, str | None]:
    """The most probable reason for a collapse, and the provocation it matches (or None)."""
    d, g = cfg.discriminator, cfg.generator
    d_acc = min(metrics.get("d_real_acc") or 0.0, metrics.get("d_fake_acc") or 0.0)
    if cfg.loss == "minimax":
        return ("saturating minimax loss: where D is confident G's gradient vanishes, so G "
                "piles onto the few places D still accepts; switch to the non-saturating loss",
                None)
    if cfg.noise.dim == 1 or g.neurons <= 4 or g.hidden_layers == 0:
        return ("the generator is too small (tiny G or 1D noise) to spread its mass over all "
                "modes; widen G or raise the noise dimension", "tiny-g")
    if d.lr >= 10 * g.lr or cfg.k_d >= 3 * cfg.k_g or d_acc > 0.95:
        return ("the discriminator overpowers the generator (high D lr / kD ≫ kG): G is pushed "
                "from mode to mode; lower D's lr or kD", "overpowered-d")
    if g.lr >= 5 * d.lr or (g.optimizer == "adam" and g.lr >= 0.01):
        return ("the generator's learning rate is too high: it overshoots and hops between "
                "modes; lower G's lr (÷100)", "g-lr-too-high")
    return "G found a few modes D cannot tell apart yet", None


def cures_text(dataset: str | None, provocation: str | None) -> str:
    """' Tested cure(s) on this dataset: …' naming matching cures first, else all of the
    dataset's; '' when none was tested here."""
    cures = cures_tested(dataset, provocation) if provocation else []
    cures = cures or cures_tested(dataset)
    return f" Tested cure{'s' if len(cures) > 1 else ''} on this dataset: {'; '.join(cures)}." \
        if cures else ""


def advice(kind: str, cfg: GanConfig, metrics: dict[str, Any], dataset: str | None) -> str:
    """The banner's 'Likely cause' for an alarm of `kind`."""
    if kind in ("collapse", "dropping"):
        cause, provocation = collapse_cause(cfg, metrics)
        return cause + "." + cures_text(dataset, provocation)
    if kind == "d-wins":
        if cfg.loss == "minimax":  # the cure tested on real runs (tests/engine/test_alarm_real.py)
            return ("D is certain about every sample and the saturating minimax loss passes G "
                    "only D(fake) of its gradient; switch to the non-saturating loss (knob "
                    "“nonsaturating loss”: G's gradient comes back at once)")
        return ("D separates real from fake perfectly, so G's gradients vanish; lower D's lr "
                "or kD, or use a gentler D")
    if kind == "d-dead":
        return ("D outputs ½ for everything (its ReLUs died, or its steps are so large it "
                "jumped to a flat region), so G gets no signal although the distributions "
                "differ; reset with a lower D lr or fewer D steps (kD)")
    if kind == "oscillation":
        return ("G and D chase each other around instead of settling: the learning rates are "
                "too high for this game; lower both lrs (÷10): the knobs “G ÷10 lr” and "
                "“D ÷10 lr” (on real runs they calm the swings)")
    if kind == "divergence":
        return ("a step was too large and the numbers left the float range; reset and lower "
                "the learning rate (WGAN-GP/hinge: use Adam β (0.5, 0.9), lr 1e-4)")
    raise KeyError(kind)
