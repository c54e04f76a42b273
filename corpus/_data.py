"""Small synthetic samples in the formats public sources feed (no download is possible here).

Every generator makes labels that depend on the inputs (so a healthy model can learn them and a shuffled-label
fit is worse), in the dtype and value range the source's pipeline produces. Seeded: the same call, the same data.
"""
from __future__ import annotations

import numpy as np


def _rng(seed):
    return np.random.default_rng(seed)


def class_images(n, shape, classes, *, seed=0, dtype="uint8", scale=255.0, balanced=True):
    """Images whose class sets the position and orientation of a bright bar over a noisy background.

    Returns x in [0, scale] as `dtype` (uint8 0-255 by default: what decoding image files gives) and integer
    labels 0..classes-1 (balanced and shuffled unless `balanced=False`, which draws them at random).
    """
    rng = _rng(seed)
    h, w, c = shape
    y = np.arange(n) % classes if balanced else rng.integers(0, classes, n)
    rng.shuffle(y)
    x = rng.normal(0.35, 0.12, (n, h, w, c))
    rows, cols = np.mgrid[0:h, 0:w]
    for i, k in enumerate(y):
        angle = np.pi * k / classes
        offset = (k % 3 - 1) * 0.2
        d = np.abs(np.cos(angle) * (rows / h - 0.5 - offset) + np.sin(angle) * (cols / w - 0.5 + offset))
        bar = (d < 0.12).astype(float)
        x[i] += 0.5 * bar[..., None] * (0.6 + 0.4 * (np.arange(c) == k % c))
    x = np.clip(x, 0, 1) * scale
    return x.astype(dtype), y.astype("int64")


def one_hot(y, classes):
    return np.eye(classes, dtype="float32")[y]


def segmentation(n, shape, classes, *, seed=0, dtype="uint8"):
    """Images with a few bright discs and squares; the mask holds each pixel's class (0 background, 1 discs,
    2 squares, ...), shape (n, h, w, 1) as the Keras segmentation examples feed it."""
    rng = _rng(seed)
    h, w, c = shape
    x = rng.normal(0.3, 0.1, (n, h, w, c))
    mask = np.zeros((n, h, w), dtype="int64")
    rows, cols = np.mgrid[0:h, 0:w]
    for i in range(n):
        for _ in range(3):
            k = int(rng.integers(1, classes))
            r, q, s = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w, rng.uniform(0.08, 0.2) * min(h, w)
            region = ((rows - r) ** 2 + (cols - q) ** 2 < s * s) if k % 2 else (
                (np.abs(rows - r) < s) & (np.abs(cols - q) < s))
            mask[i][region] = k
            x[i][region] += 0.15 * k
    x = np.clip(x, 0, 1) * 255
    return x.astype(dtype), mask[..., None]


def smooth_targets(n, shape, *, seed=0, out_channels=1):
    """Images (float32 in [0, 1]) and a dense target that is a smooth function of them (depth-like, in
    [0, 1]) with `out_channels` channels."""
    rng = _rng(seed)
    h, w, c = shape
    rows, cols = np.mgrid[0:h, 0:w] / max(h, w)
    base = rng.uniform(0, 1, (n, 1, 1))
    slope = rng.uniform(-1, 1, (n, 1, 1))
    depth = np.clip(base * 0.5 + 0.5 * slope * rows[None] + 0.25, 0, 1)
    x = np.stack([depth * (0.5 + 0.5 * k / max(1, c)) for k in range(c)], -1)
    x = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)
    y = np.repeat(depth[..., None], out_channels, -1)
    return x.astype("float32"), y.astype("float32")


def keypoints(n, shape, points, *, seed=0, dtype="uint8"):
    """Images with `points` bright dots and their (x, y) pixel coordinates flattened to 2*points values,
    scaled to [0, 1] by the image size (as the Keras keypoint example does)."""
    rng = _rng(seed)
    h, w, c = shape
    x = rng.normal(0.3, 0.1, (n, h, w, c))
    coords = rng.uniform(0.15, 0.85, (n, points, 2))
    rows, cols = np.mgrid[0:h, 0:w]
    for i in range(n):
        for p in range(points):
            cy, cx = coords[i, p, 1] * h, coords[i, p, 0] * w
            x[i][(rows - cy) ** 2 + (cols - cx) ** 2 < (0.05 * h) ** 2] = 1.0
    x = np.clip(x, 0, 1) * 255
    return x.astype(dtype), coords.reshape(n, -1).astype("float32")


def signals(n, length, channels, classes, *, seed=0):
    """1-D signals (float32, standardized) whose class sets the frequency of a sine under noise."""
    rng = _rng(seed)
    y = np.arange(n) % classes
    rng.shuffle(y)
    t = np.linspace(0, 1, length)
    x = np.stack([np.sin(2 * np.pi * (2 + 3 * k) * t + rng.uniform(0, 6)) for k in y])
    x = x[..., None] + rng.normal(0, 0.3, (n, length, channels))
    x = (x - x.mean()) / x.std()
    return x.astype("float32"), y.astype("int64")


def volumes(n, shape, *, seed=0):
    """3-D scans (float32 in [0, 1], like normalized CT) and binary labels: a bright blob present or not."""
    rng = _rng(seed)
    d, h, w = shape
    y = np.arange(n) % 2
    rng.shuffle(y)
    x = rng.normal(0.3, 0.1, (n, d, h, w))
    zz, rr, cc = np.mgrid[0:d, 0:h, 0:w]
    for i in np.flatnonzero(y):
        cz, cr, cq = rng.uniform(0.3, 0.7, 3) * (d, h, w)
        x[i][(zz - cz) ** 2 + (rr - cr) ** 2 + (cc - cq) ** 2 < (0.25 * min(d, h, w)) ** 2] += 0.5
    return np.clip(x, 0, 1)[..., None].astype("float32"), y.astype("float32")


def point_clouds(n, points, classes, *, seed=0):
    """Point clouds (n, points, 3) sampled on the surface of a shape per class (sphere, cube, cylinder, cone...),
    with jitter, centred and scaled to the unit sphere, and integer labels."""
    rng = _rng(seed)
    y = np.arange(n) % classes
    rng.shuffle(y)
    clouds = []
    for k in y:
        u = rng.normal(size=(points, 3))
        if k % 4 == 0:
            pts = u / np.linalg.norm(u, axis=1, keepdims=True)
        elif k % 4 == 1:
            pts = u / np.abs(u).max(axis=1, keepdims=True)
        elif k % 4 == 2:
            a = rng.uniform(0, 2 * np.pi, points)
            pts = np.stack([np.cos(a), np.sin(a), rng.uniform(-1, 1, points)], 1)
        else:
            a, z = rng.uniform(0, 2 * np.pi, points), rng.uniform(0, 1, points)
            pts = np.stack([(1 - z) * np.cos(a), (1 - z) * np.sin(a), z], 1)
        pts = pts * (1 + 0.3 * (k // 4)) + rng.normal(0, 0.02, pts.shape)
        pts -= pts.mean(0)
        clouds.append(pts / np.linalg.norm(pts, axis=1).max())
    return np.asarray(clouds, dtype="float32"), y.astype("int64")


def multi_hot(n, shape, labels, *, seed=0):
    """Images (uint8 0-255) and multi-hot rows: each label present adds its own pattern to the image."""
    rng = _rng(seed)
    h, w, c = shape
    y = (rng.random((n, labels)) < 0.35).astype("float32")
    x = rng.normal(0.3, 0.1, (n, h, w, c))
    band = max(1, h // labels)
    for i in range(n):
        for k in np.flatnonzero(y[i]):
            x[i, k * band:(k + 1) * band, :, :] += 0.4
    return (np.clip(x, 0, 1) * 255).astype("uint8"), y
