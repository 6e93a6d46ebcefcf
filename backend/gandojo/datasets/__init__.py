"""Data acquisition beside the GAN core: where image data lives (`paths`) and the embedded default (`embedded`).

Nothing here imports `gandojo.gan`; the image core (`gan/images/data.py`) reads these modules.
"""
