"""Image models and losses: shapes, output ranges, one training step each, f-GAN probabilities."""

import pytest
import torch

from gandojo.gan.images.config import default_image_config
from gandojo.gan.images.fgan import F_LOSSES, image_loss
from gandojo.gan.images.models import build_models
from gandojo.gan.images.trainer import ImageTrainer

LOSSES = ["nonsaturating", "minimax", "lsgan", "wgan-gp", "hinge", *F_LOSSES]


@pytest.mark.parametrize("model", ["mlp", "dcgan", "cgan"])
@pytest.mark.parametrize("output", ["tanh", "sigmoid"])
def test_shapes_and_ranges(model, output):
    cfg = default_image_config(model, output=output, latent_dim=16)
    G, D = build_models(cfg, 10, torch.Generator().manual_seed(0))
    z, y = torch.randn(5, 16), torch.arange(5)
    x = G.eval()(z, y)
    assert x.shape == (5, 784)
    lo = -1.0 if output == "tanh" else 0.0
    assert x.min() >= lo and x.max() <= 1.0
    assert D(x, y).shape == (5, 1)


def test_cgan_projection_and_soft_labels():
    cfg = default_image_config("cgan", conditioning="projection", latent_dim=8)
    G, D = build_models(cfg, 10, torch.Generator().manual_seed(0))
    assert D.embed is not None and D.features[0].in_features == 784
    soft = torch.full((3, 10), 0.1)
    assert G(torch.randn(3, 8), soft).shape == (3, 784)
    with pytest.raises(ValueError, match="labels"):
        G(torch.randn(3, 8))


def test_same_init_from_same_seed_and_batchnorm_switch():
    cfg = default_image_config("dcgan", generator={"batchnorm": False})
    a = build_models(cfg, 0, torch.Generator().manual_seed(3))[0]
    b = build_models(cfg, 0, torch.Generator().manual_seed(3))[0]
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in a.modules())


@pytest.mark.parametrize("loss", LOSSES)
def test_one_step_of_every_loss(loss, train_data):
    t = ImageTrainer(train_data, default_image_config("mlp", loss=loss, batch_size=16, latent_dim=8), 0)
    before = [p.clone() for p in t.G.parameters()]
    s = t.step(1)
    assert s.iteration == 1 and s.images_seen == 16
    assert all(v is not None and v == v for v in (s.d_loss, s.g_loss, s.d_real_acc, s.d_fake_acc))
    assert 0 <= s.d_real_mean <= 1 and 0 <= s.d_fake_mean <= 1
    assert any(not torch.equal(a, b) for a, b in zip(before, t.G.parameters()))


@pytest.mark.parametrize("model, conditioning", [("dcgan", "concat"), ("cgan", "concat"),
                                                 ("cgan", "projection")])
def test_one_step_of_the_other_models(model, conditioning, train_data):
    cfg = default_image_config(model, batch_size=16, latent_dim=8, label_smoothing=0.1,
                               instance_noise=0.1, discriminator={"dropout": 0.2},
                               conditioning=conditioning, loss="wgan-gp")
    t = ImageTrainer(train_data, cfg, 0)
    t.step(2)
    assert t.iteration == 2 and t.losses()["d"] is not None


@pytest.mark.parametrize("name", list(F_LOSSES))
def test_f_gan_probability_is_monotone_and_bounded(name):
    v = torch.linspace(-20, 20, 101)
    p = image_loss(name).prob(v)
    assert p.min() >= 0 and p.max() <= 1
    assert (p[1:] >= p[:-1]).all()


def test_f_gan_d_loss_is_the_negative_variational_bound():
    # KL: T = v, f*(T) = exp(T - 1); at v_real = 1, v_fake = 1: −(1 − e^0) = 0
    loss = image_loss("f-kl")
    assert float(loss.d_loss(torch.ones(4, 1), torch.ones(4, 1))) == pytest.approx(0.0, abs=1e-6)
    js = image_loss("f-js")  # at v = 0 on both: −(log 2 − log 2) + (log 2 − log 2) = 0
    assert float(js.d_loss(torch.zeros(3, 1), torch.zeros(3, 1))) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(KeyError, match="f-hellinger"):
        image_loss("nope")
