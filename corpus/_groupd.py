"""Group D helpers: synthetic data in the formats the point-cloud, MNIST-pair and VAE sources feed. Seeded;
labels depend on the inputs."""
from __future__ import annotations

import numpy as np

# seven-segment strokes per digit: segments a..g as ((row0, col0), (row1, col1)) in a unit box
_SEGMENTS = {
    "a": ((0.0, 0.0), (0.0, 1.0)), "b": ((0.0, 1.0), (0.5, 1.0)), "c": ((0.5, 1.0), (1.0, 1.0)),
    "d": ((1.0, 0.0), (1.0, 1.0)), "e": ((0.5, 0.0), (1.0, 0.0)), "f": ((0.0, 0.0), (0.5, 0.0)),
    "g": ((0.5, 0.0), (0.5, 1.0)),
}
_DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abfgcd"]


def _rng(seed):
    return np.random.default_rng(seed)


def digits(n, *, seed=0, classes=10):
    """MNIST-like digits: float32 in [0, 1], (n, 28, 28, 1), black background and bright anti-aliased
    seven-segment strokes with random position, size, slant and thickness; integer labels 0..classes-1
    (balanced, shuffled). What keras.datasets.mnist gives once divided by 255."""
    rng = _rng(seed)
    y = np.arange(n) % classes
    rng.shuffle(y)
    rows, cols = np.mgrid[0:28, 0:28].astype(float)
    x = np.zeros((n, 28, 28))
    for i, k in enumerate(y):
        top, left = rng.uniform(4, 7), rng.uniform(7, 11)
        height, width = rng.uniform(15, 19), rng.uniform(7, 11)
        slant, thick = rng.uniform(-0.25, 0.25), rng.uniform(1.2, 2.0)
        for seg in _DIGITS[k]:
            (r0, c0), (r1, c1) = _SEGMENTS[seg]
            r0, r1 = top + r0 * height, top + r1 * height
            c0 = left + c0 * width + slant * (top + height - r0)
            c1 = left + c1 * width + slant * (top + height - r1)
            t = np.clip(((rows - r0) * (r1 - r0) + (cols - c0) * (c1 - c0)) /
                        max(1e-6, (r1 - r0) ** 2 + (c1 - c0) ** 2), 0, 1)
            d = np.hypot(rows - (r0 + t * (r1 - r0)), cols - (c0 + t * (c1 - c0)))
            x[i] = np.maximum(x[i], np.clip(thick - d, 0, 1))
    return x[..., None].astype("float32"), y.astype("int64")


def airplane_parts(n, points, *, seed=0):
    """Airplane-like point clouds with a part label per point, as the ShapeNet 'Airplane' segmentation data:
    classes 0 wing, 1 body, 2 tail, 3 engine, 4 none (the source's extra 'none' class, a few stray points).
    Points are centred and scaled to the unit sphere (as the source normalizes them), float64 (np.loadtxt);
    labels are one-hot per point (n, points, 5)."""
    rng = _rng(seed)
    clouds, labels = [], []
    for _ in range(n):
        length, span = rng.uniform(2.0, 3.0), rng.uniform(2.0, 3.2)
        radius, wing_x = rng.uniform(0.15, 0.3), rng.uniform(-0.2, 0.3)
        share = rng.dirichlet([6, 8, 2, 2, 0.5])
        counts = np.maximum(1, np.round(share * points).astype(int))
        counts[1] += points - counts.sum()
        parts = []
        m = counts[0]  # wings: thin plate across the body
        parts.append(np.stack([wing_x + rng.uniform(-0.3, 0.3, m), rng.uniform(-span / 2, span / 2, m),
                               rng.normal(0, 0.02, m)], 1))
        m = counts[1]  # body: cylinder along x
        a = rng.uniform(0, 2 * np.pi, m)
        parts.append(np.stack([rng.uniform(-length / 2, length / 2, m), radius * np.cos(a), radius * np.sin(a)], 1))
        m = counts[2]  # tail: vertical fin at the rear
        parts.append(np.stack([-length / 2 + rng.uniform(0, 0.4, m), rng.normal(0, 0.02, m),
                               radius + rng.uniform(0, 0.6, m)], 1))
        m = counts[3]  # engines: two small cylinders under the wings
        side = np.where(rng.random(m) < 0.5, -1.0, 1.0) * span / 4
        a = rng.uniform(0, 2 * np.pi, m)
        parts.append(np.stack([wing_x + rng.uniform(-0.3, 0.3, m), side + 0.08 * np.cos(a),
                               -0.15 + 0.08 * np.sin(a)], 1))
        m = counts[4]  # none: stray points around the nose
        parts.append(np.stack([length / 2 + rng.uniform(0, 0.3, m), rng.normal(0, 0.1, m),
                               rng.normal(0, 0.1, m)], 1))
        pts = np.concatenate(parts)
        lab = np.concatenate([np.full(c, k) for k, c in enumerate(counts)])
        angle = rng.uniform(-0.3, 0.3)  # small yaw
        rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
        pts = pts @ rot.T + rng.normal(0, 0.01, pts.shape)
        order = rng.permutation(len(pts))
        pts, lab = pts[order], lab[order]
        pts = pts - pts.mean(0)
        pts /= np.linalg.norm(pts, axis=1).max()
        clouds.append(pts)
        labels.append(np.eye(5)[lab])
    return np.asarray(clouds, dtype="float64"), np.asarray(labels, dtype="float64")


def digit_pairs(n, *, seed=0):
    """MNIST pairs as the siamese example makes them: for each image one pair with an image of the same digit
    (label 1.0) then one with a different digit (label 0.0). Images float32 in [0, 255] (the source casts
    to float32 and does not divide), (n, 28, 28, 1) each; labels float32."""
    rng = _rng(seed + 1)
    x, y = digits(n // 2 + 40, seed=seed)
    x = x * 255.0
    by_class = [np.flatnonzero(y == k) for k in range(10)]
    first, second, labels = [], [], []
    for i in range(n // 2):
        first.append(x[i])
        second.append(x[rng.choice(by_class[y[i]])])
        labels.append(1.0)
        other = (y[i] + rng.integers(1, 10)) % 10
        first.append(x[i])
        second.append(x[rng.choice(by_class[other])])
        labels.append(0.0)
    return (np.asarray(first, dtype="float32"), np.asarray(second, dtype="float32"),
            np.asarray(labels, dtype="float32"))
