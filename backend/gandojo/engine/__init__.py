"""Sessions: own a trainer, its seed and device, and turn tensors into frames."""
