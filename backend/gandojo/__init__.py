"""GAN Dojo: an interactive GAN playground served by FastAPI and trained with PyTorch."""

__version__ = "0.1.0"
