"""Typed, bounded configuration of an image GAN (mlp, dcgan, cgan on 28×28 images).

Names follow the 2D config where the meaning is the same (`generator.lr`, `generator.betas`,
`loss`, `k_d`, `k_g`, `batch_size`, `label_smoothing`, `instance_noise`, `gp_weight`), so the
same editors and PATCH paths work for both. Adam is the only optimizer here; β1 is `betas[0]`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..config import Betas, deep_merge

ImageModel = Literal["mlp", "dcgan", "cgan"]
ImageActivation = Literal["relu", "leaky_relu"]
ImageLossName = Literal["nonsaturating", "minimax", "lsgan", "wgan-gp", "hinge",
                        "f-kl", "f-reverse-kl", "f-js", "f-pearson", "f-hellinger"]
MODELS: tuple[str, ...] = ("mlp", "dcgan", "cgan")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class _Net(_Strict):
    lr: float = Field(2e-4, gt=0.0, le=1.0, allow_inf_nan=False, description="Adam learning rate")
    betas: Betas = (0.5, 0.999)
    activation: ImageActivation = "leaky_relu"


class GeneratorConfig(_Net):
    batchnorm: bool = Field(True, description="batch normalisation after each hidden layer of G")


class DiscriminatorConfig(_Net):
    dropout: float = Field(0.0, ge=0.0, le=0.9, allow_inf_nan=False,
                           description="dropout after each hidden activation of D (live)")


class ImageGanConfig(_Strict):
    model: ImageModel = "mlp"
    latent_dim: int = Field(100, ge=1, le=512)
    output: Literal["tanh", "sigmoid"] = Field(
        "tanh", description="G's output: tanh with data in [-1, 1], or sigmoid with data in [0, 1]")
    conditioning: Literal["concat", "projection"] = Field(
        "concat", description="cgan only: D sees the one-hot label concatenated, or by projection")
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = Field(default_factory=DiscriminatorConfig)
    leaky_slope: float = Field(0.2, gt=0.0, lt=1.0, allow_inf_nan=False, description="LeakyReLU α")
    loss: ImageLossName = "nonsaturating"
    k_d: int = Field(1, ge=1, le=20, description="D updates per iteration")
    k_g: int = Field(1, ge=1, le=20, description="G updates per iteration")
    batch_size: int = Field(64, ge=16, le=1024)
    label_smoothing: float = Field(0.0, ge=0.0, le=0.5, allow_inf_nan=False,
                                   description="one-sided: D's target for real images is 1 - s")
    instance_noise: float = Field(0.0, ge=0.0, le=2.0, allow_inf_nan=False,
                                  description="σ of Gaussian noise on D's inputs, in data units")
    instance_noise_anneal: int = Field(
        0, ge=0, le=10_000_000, description="iterations over which σ falls linearly to 0 (0: constant)")
    gp_weight: float = Field(10.0, ge=0.0, le=1000.0, allow_inf_nan=False,
                             description="gradient-penalty weight (wgan-gp)")

    @property
    def conditional(self) -> bool:
        return self.model == "cgan"

    def architecture(self) -> tuple:
        """Everything whose change rebuilds the models (dropout, rates and the loss stay live)."""
        return (self.model, self.latent_dim, self.output, self.conditioning, self.leaky_slope,
                self.generator.activation, self.generator.batchnorm, self.discriminator.activation)


def default_image_config(model: str = "mlp", **overrides: Any) -> ImageGanConfig:
    """The defaults for `model`: the course's vanilla MLP GAN, a DCGAN (ReLU G, LeakyReLU D), a cGAN."""
    base: dict[str, Any] = {"model": model}
    if model == "dcgan":
        base["generator"] = {"activation": "relu"}
    elif model == "mlp":
        base["discriminator"] = {"dropout": 0.3}
    return ImageGanConfig.model_validate(deep_merge(base, overrides))


def merged_image_config(current: ImageGanConfig, patch: dict[str, Any]) -> ImageGanConfig:
    """Validate current config + partial patch; raises pydantic.ValidationError naming the field."""
    return ImageGanConfig.model_validate(deep_merge(current.model_dump(), patch))
