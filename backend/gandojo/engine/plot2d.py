"""PNG drawing of a 2D frame (heatmap, manifold, real and fake points, gradient arrows) with Pillow."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..fileio import encode_png
from .frames import Frame

ARROW_EVERY = 4  # draw one gradient arrow in four: all of them hide the points
FAKE_RGB, REAL_RGB = (122, 45, 160), (22, 120, 50)
_PURPLE, _WHITE, _GREEN = (np.array(c, np.float32) for c in ((193, 140, 214), (250, 250, 250), (90, 175, 100)))


def _colormap(values: np.ndarray) -> np.ndarray:
    """D(x) in [0,1] → RGB: purple (fake) through white (0.5) to green (real), like GAN Lab."""
    v = np.nan_to_num(np.clip(values, 0.0, 1.0), nan=0.5)[..., None]
    low = _PURPLE + (_WHITE - _PURPLE) * (v / 0.5)
    high = _WHITE + (_GREEN - _WHITE) * ((v - 0.5) / 0.5)
    return np.where(v < 0.5, low, high).astype(np.uint8)


def render_2d_png(frame: Frame, size: int = 512) -> bytes:
    """The distribution plot of a 2D frame as PNG bytes (size×size pixels)."""
    view = frame.header["view"]
    (x0, x1), (y0, y1) = view["x"], view["y"]
    hm = frame.sections["heatmap"][::-1]  # image rows run top-down, heatmap rows bottom-up
    img = Image.fromarray(_colormap(hm), "RGB").resize((size, size), Image.NEAREST)
    draw = ImageDraw.Draw(img)

    def px(p: np.ndarray) -> np.ndarray:
        return np.stack([(p[:, 0] - x0) / (x1 - x0) * size, (1 - (p[:, 1] - y0) / (y1 - y0)) * size], 1)

    if "manifold" in frame.sections:
        m = frame.sections["manifold"]
        for line in list(m) + (list(m.transpose(1, 0, 2)) if m.shape[0] > 1 else []):
            draw.line([tuple(q) for q in px(line)], fill=(170, 120, 200), width=1)
    for p, rgb in ((frame.sections["real"], REAL_RGB), (frame.sections["fake"], FAKE_RGB)):
        for x, y in px(p):
            if np.isfinite(x) and np.isfinite(y):
                draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=rgb)
    fake, grad = frame.sections["fake"][::ARROW_EVERY], frame.sections["gradients"][::ARROW_EVERY]
    for (a, b), (c, d) in zip(px(fake), px(fake + grad)):
        if np.isfinite([a, b, c, d]).all():
            draw.line((a, b, c, d), fill=(220, 80, 170), width=1)
    return encode_png(img)
