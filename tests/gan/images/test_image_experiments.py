"""The classifier-retraining experiment on real + generated mixes: results, progress, cancel."""

import threading

import pytest

from gandojo.gan.images.config import default_image_config
from gandojo.gan.images.experiments import retraining_experiment
from gandojo.gan.images.trainer import ImageTrainer


def test_all_mixes_report_an_accuracy(train_data, test_data):
    t = ImageTrainer(train_data, default_image_config("cgan", batch_size=16, latent_dim=8), 0)
    seen = []
    rep = retraining_experiment(t, test_data, n_train=100, epochs=1,
                                progress=lambda f, m: seen.append(f))
    assert [(r.real_percent, r.generated_percent) for r in rep.results] == [
        (100, 0), (75, 25), (50, 50), (25, 75), (0, 100)]
    assert [r.n_generated for r in rep.results] == [0, 25, 50, 75, 100]
    assert all(0.0 <= r.test_accuracy <= 1.0 for r in rep.results)
    assert rep.label_source == "conditioning" and not rep.cancelled
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_cancel_stops_early_and_pseudo_labels(train_data, test_data, tiny_classifier):
    t = ImageTrainer(train_data, default_image_config("mlp", batch_size=16, latent_dim=8), 0)
    stop = threading.Event()

    def progress(frac, msg):
        if "mix 75/25" in msg:
            stop.set()

    rep = retraining_experiment(t, test_data, n_train=60, epochs=1, labeler=tiny_classifier,
                                progress=progress, cancel=stop)
    assert rep.cancelled and len(rep.results) == 1 and rep.label_source == "classifier"
    with pytest.raises(ValueError, match="classifier"):
        retraining_experiment(t, test_data, n_train=60, epochs=1)
    with pytest.raises(ValueError, match="add up to 100"):
        retraining_experiment(t, test_data, n_train=60, mixes=((50, 40),), labeler=tiny_classifier)
