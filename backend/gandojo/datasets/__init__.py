"""Data acquisition beside the GAN core: where data lives (`paths`), the image datasets and their sources.

`images` (registry, source resolution, `load_split`, `ImageData`), `idx` (the IDX format), `sources`
(offline importers), `fetch` (checksummed downloads), `embedded` (the shipped default). Nothing here
imports `gandojo.gan`; gan/ reads `ImageData` from here.
"""
