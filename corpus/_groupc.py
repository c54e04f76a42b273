"""Group C helpers (segmentation and dense regression): a pixel-shuffle layer and synthetic data in the formats
the super-resolution, depth and denoising sources feed. Seeded; targets depend on the inputs."""
from __future__ import annotations

import keras
import numpy as np


class DepthToSpace(keras.layers.Layer):
    """Sub-pixel shuffle (what the sources do with tf.nn.depth_to_space): (h, w, c*r*r) -> (h*r, w*r, c)."""

    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, x):
        return keras.ops.depth_to_space(x, self.block_size)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        r = self.block_size
        return (n, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


def _rng(seed):
    return np.random.default_rng(seed)


def _blur(a, passes=2):
    """Cheap separable box blur over the two spatial axes of (n, h, w, c)."""
    for _ in range(passes):
        a = (np.roll(a, 1, 1) + a + np.roll(a, -1, 1)) / 3
        a = (np.roll(a, 1, 2) + a + np.roll(a, -1, 2)) / 3
    return a


def natural_images(n, size, *, seed=0, channels=3):
    """Photo-like float images in [0, 1] of shape (n, size, size, channels): a smooth background gradient,
    a few discs and boxes of random colour, edges softened, a little texture noise."""
    rng = _rng(seed)
    rows, cols = np.mgrid[0:size, 0:size] / size
    x = np.empty((n, size, size, channels))
    for i in range(n):
        a, b, c0 = rng.uniform(-0.4, 0.4), rng.uniform(-0.4, 0.4), rng.uniform(0.2, 0.6, channels)
        img = c0[None, None] + (a * rows + b * cols)[..., None]
        for _ in range(rng.integers(3, 7)):
            r, q, s = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.25)
            region = ((rows - r) ** 2 + (cols - q) ** 2 < s * s) if rng.random() < 0.5 else (
                (np.abs(rows - r) < s) & (np.abs(cols - q) < s * rng.uniform(0.3, 1)))
            img[region] = rng.uniform(0, 1, channels)
        stripes = 0.08 * np.sin(2 * np.pi * rng.uniform(4, 12) * (rows * np.cos(a * 4) + cols * np.sin(a * 4)))
        x[i] = img + stripes[..., None]
    x = _blur(x, 1) + rng.normal(0, 0.02, x.shape)
    return np.clip(x, 0, 1)


def area_downsample(x, factor):
    """Mean over factor x factor blocks (tf.image.resize method='area' for an integer factor)."""
    n, h, w, c = x.shape
    return x.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def rgb_to_y(x):
    """The Y (luma) channel as tf.image.rgb_to_yuv computes it, keeping the channel axis."""
    return (x[..., :1] * 0.299 + x[..., 1:2] * 0.587 + x[..., 2:3] * 0.114)


def digits(n, *, seed=0):
    """MNIST-like float32 images in [0, 1], (n, 28, 28, 1): black background, one to three bright,
    anti-aliased strokes (what keras.datasets.mnist gives once divided by 255)."""
    rng = _rng(seed)
    rows, cols = np.mgrid[0:28, 0:28].astype(float)
    x = np.zeros((n, 28, 28))
    for i in range(n):
        for _ in range(rng.integers(1, 4)):
            (r0, c0), (r1, c1) = rng.uniform(5, 23, 2), rng.uniform(5, 23, 2)
            t = np.clip(((rows - r0) * (r1 - r0) + (cols - c0) * (c1 - c0)) /
                        max(1e-6, (r1 - r0) ** 2 + (c1 - c0) ** 2), 0, 1)
            d = np.hypot(rows - (r0 + t * (r1 - r0)), cols - (c0 + t * (c1 - c0)))
            x[i] = np.maximum(x[i], np.clip(2.0 - d, 0, 1))
    return x[..., None].astype("float32")


def indoor_scenes(n, size, *, seed=0):
    """RGB images (float32 in [0, 1]) of a room-like scene and its metric depth in metres (float64,
    (n, size, size)): a receding floor and back wall with a few boxes in front, the image shaded by depth."""
    rng = _rng(seed)
    rows, cols = np.mgrid[0:size, 0:size] / size
    images, depths = np.empty((n, size, size, 3)), np.empty((n, size, size))
    for i in range(n):
        far, horizon = rng.uniform(4, 12), rng.uniform(0.3, 0.6)
        depth = np.where(rows > horizon, 0.5 + (far - 0.5) * (1 - (rows - horizon) / (1 - horizon)) ** 2, far)
        depth = depth * (1 + 0.2 * (cols - 0.5) * rng.uniform(-1, 1))
        for _ in range(rng.integers(1, 4)):
            r, q, s, d = rng.uniform(0.3, 0.8), rng.uniform(0.1, 0.9), rng.uniform(0.05, 0.2), rng.uniform(0.7, far)
            region = (np.abs(rows - r) < s) & (np.abs(cols - q) < s)
            depth[region] = np.minimum(depth[region], d)
        albedo = rng.uniform(0.4, 1.0, 3)
        shade = np.clip(1.2 - depth / (far + 1), 0.05, 1)
        images[i] = albedo[None, None] * shade[..., None]
        depths[i] = depth
    images = np.clip(_blur(images, 1) + rng.normal(0, 0.02, images.shape), 0, 1)
    return images.astype("float32"), depths
