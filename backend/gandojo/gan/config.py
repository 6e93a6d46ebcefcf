"""Typed, bounded configuration of a 2D GAN (the public config contract of the REST API)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Activation = Literal["relu", "leaky_relu", "tanh"]
OptimizerName = Literal["sgd", "adam", "rmsprop"]
LossName = Literal["minimax", "nonsaturating", "lsgan", "wgan-gp", "hinge"]
Beta = Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)]
Betas = tuple[Beta, Beta]  # Adam's (β1, β2), each in [0, 1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class NoiseConfig(_Strict):
    dim: int = Field(2, ge=1, le=16, description="noise dimension")
    distribution: Literal["uniform", "gaussian"] = "gaussian"


class NetConfig(_Strict):
    hidden_layers: int = Field(1, ge=0, le=6)
    neurons: int = Field(8, ge=1, le=256)
    activation: Activation = "relu"
    optimizer: OptimizerName = "sgd"
    lr: float = Field(0.1, gt=0.0, le=10.0, allow_inf_nan=False)
    betas: Betas = (0.9, 0.999)
    momentum: float = Field(0.0, ge=0.0, lt=1.0, allow_inf_nan=False)

    def architecture(self) -> tuple:
        """The fields whose change needs a new network."""
        return (self.hidden_layers, self.neurons, self.activation)


class GanConfig(_Strict):
    noise: NoiseConfig = Field(default_factory=NoiseConfig)
    generator: NetConfig = Field(default_factory=lambda: NetConfig(lr=0.03))
    discriminator: NetConfig = Field(default_factory=lambda: NetConfig(lr=0.1))
    loss: LossName = "nonsaturating"
    k_d: int = Field(2, ge=1, le=100, description="discriminator steps per iteration")
    k_g: int = Field(1, ge=1, le=100, description="generator steps per iteration")
    batch_size: int = Field(150, ge=1, le=4096)
    heatmap_resolution: int = Field(64, ge=8, le=256)
    gp_weight: float = Field(10.0, ge=0.0, le=1000.0, allow_inf_nan=False)
    # cures for mode collapse (all off by default)
    instance_noise: float = Field(0.0, ge=0.0, le=5.0, allow_inf_nan=False,
                                  description="σ of Gaussian noise added to D's inputs (data units)")
    instance_noise_anneal: int = Field(0, ge=0, le=1_000_000,
                                       description="iterations over which σ falls linearly to 0 (0: constant)")
    label_smoothing: float = Field(0.0, ge=0.0, le=0.5, allow_inf_nan=False,
                                   description="one-sided: D's target for real samples is 1 - s")
    r1_weight: float = Field(0.0, ge=0.0, le=1000.0, allow_inf_nan=False,
                             description="R1 penalty γ/2·E||∇D(real)||²")
    pack: int = Field(1, ge=1, le=4, description="PacGAN: D sees this many samples at once")
    unrolled_steps: int = Field(0, ge=0, le=10, description="unrolled GAN: G looks k D steps ahead")

    def architecture(self) -> tuple:
        """Everything whose change rebuilds the models (noise and both architectures)."""
        return (self.noise.dim, self.noise.distribution, self.pack,
                self.generator.architecture(), self.discriminator.architecture())


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Return base with patch merged in recursively (patch wins; nested dicts merge)."""
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def merged_config(current: GanConfig, patch: dict[str, Any]) -> GanConfig:
    """Validate current config + partial patch; raises pydantic.ValidationError naming the field."""
    return GanConfig.model_validate(deep_merge(current.model_dump(), patch))
