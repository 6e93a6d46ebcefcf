"""The feature classifier: seeded training that leaves the global RNG alone."""

import torch

from gandojo.gan.images.classifier import train_lenet


def test_training_is_seeded_and_leaves_the_global_rng_alone(train_data):
    state = torch.random.get_rng_state()
    a = train_lenet(train_data.images[:100], train_data.labels[:100], epochs=1, seed=3)
    b = train_lenet(train_data.images[:100], train_data.labels[:100], epochs=1, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert torch.equal(state, torch.random.get_rng_state())
