"""Pure PyTorch training core: datasets, models, losses, the training step, probes and metrics."""
