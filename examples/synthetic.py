"""Small synthetic datasets for the examples: class-dependent blobs, so a model can learn something."""
import numpy as np


def images(n=256, size=64, channels=3, classes=10, *, raw=False, seed=0):
    """(x, y): n images of size x size x channels; raw=True gives uint8 0-255 pixels, else float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = rng.random((n, size, size, channels), dtype=np.float32) * 0.5
    rows = (np.arange(size) * classes // size)[None, :, None, None]
    x += 0.5 * (rows == y[:, None, None, None])  # a band whose position tells the class
    if raw:
        return (x * 255).astype(np.uint8), y
    return x, y
