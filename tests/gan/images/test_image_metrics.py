"""Image metrics on a tiny LeNet: FID, IS, precision/recall, classifier accuracy, progress."""

import math

import pytest
import torch

from gandojo.gan.images.config import default_image_config
from gandojo.gan.images.metrics import (embed, evaluate_trainer, fid, image_metrics, inception_score,
                                        precision_recall)
from gandojo.gan.images.trainer import ImageTrainer


def test_tiny_classifier_learns_the_synthetic_digits(tiny_classifier):
    assert tiny_classifier.test_accuracy > 0.9


def test_fid_of_real_against_itself_is_zero_and_against_noise_large(tiny_classifier, train_data):
    real, _ = embed(tiny_classifier, train_data.images[:300])
    other, _ = embed(tiny_classifier, train_data.images[300:600])
    noise, _ = embed(tiny_classifier, torch.rand(300, 28, 28, generator=torch.Generator().manual_seed(0)))
    same = fid(real, real)
    # float64 (torchmetrics): eigenvalues of Σ·Σ err by ~16·d·U64·λ_max², and √ turns that into
    # √(16·d·U64)·λ_max on the (many) near-zero ones: |FID| ≤ 2·d·√(16·d·U64)·tr Σ
    d, trace = real.shape[1], float(real.double().var(0).sum())
    assert abs(same) <= 2 * d * math.sqrt(16 * d * 2.0 ** -53) * trace
    assert fid(real, noise) > 20 * max(fid(real, other), 1e-6)


def test_precision_recall_identical_and_disjoint():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(200, 16, generator=g)
    assert precision_recall(a, a.clone(), k=3) == (1.0, 1.0)
    assert precision_recall(a, a + 100.0, k=3) == (0.0, 0.0)
    p, r = precision_recall(a, a[:5].repeat(40, 1), k=3)  # mode collapse onto 5 real points
    assert p == 1.0 and r == pytest.approx(5 / 200)


def test_inception_score_bounds():
    sure = torch.eye(10).repeat(20, 1) * 50  # confident, all classes equally often
    assert inception_score(sure) == pytest.approx(10.0, rel=1e-3)
    assert inception_score(torch.zeros(50, 10)) == pytest.approx(1.0, abs=1e-6)
    assert inception_score(torch.tensor([[50.0] + [0.0] * 9] * 30)) == pytest.approx(1.0, abs=1e-3)


def test_image_metrics_on_real_images_and_label_accuracy(tiny_classifier, train_data, test_data):
    m = image_metrics(train_data.images[:200], test_data.images, tiny_classifier,
                      fake_labels=test_data.labels)
    assert m.classifier_accuracy == pytest.approx(tiny_classifier.test_accuracy)
    assert m.precision > 0.8 and m.recall > 0.8 and m.inception_score > 5
    assert m.feature_network["network"].startswith("LeNet")


def test_evaluate_trainer_reports_progress_and_is_repeatable(tiny_classifier, train_data):
    t = ImageTrainer(train_data, default_image_config("cgan", batch_size=16, latent_dim=8), 0)
    seen = []
    m1 = evaluate_trainer(t, tiny_classifier, n=100, progress=lambda f, msg: seen.append(f))
    m2 = evaluate_trainer(t, tiny_classifier, n=100)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert m1.fid == m2.fid and m1.classifier_accuracy is not None and m1.n_fake == 100
    m3 = evaluate_trainer(t, tiny_classifier, n=50, drs_percentile=90)
    assert 0 < m3.drs_acceptance <= 1 and m3.n_fake == 50
