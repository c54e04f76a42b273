"""Group B (transfer learning) data helper: class images whose label survives the augmentations the sources
apply (flips, rotations up to +-72 degrees, zoom, translation, contrast), as the label of a cat or dog photo does.
corpus._data.class_images encodes the class in a bar's orientation, which in-model RandomRotation would scramble."""
from __future__ import annotations

import numpy as np


def invariant_images(n, shape, classes, *, seed=0, dtype="uint8", scale=255.0):
    """Noisy images with 1-3 bright discs; the class sets the discs' colour (k % 3) and count (1 + k // 3 % 3).
    Discs stay in the central part of the image so that rotation and zoom keep them. Balanced integer labels."""
    rng = np.random.default_rng(seed)
    h, w, c = shape
    y = np.arange(n) % classes
    rng.shuffle(y)
    x = rng.normal(0.42, 0.2, (n, h, w, c))  # about the mean and spread of photos
    rows, cols = np.mgrid[0:h, 0:w]
    radius = 0.11 * min(h, w)
    for i, k in enumerate(y):
        tint = 0.1 + 0.5 * (np.arange(c) == k % c)
        for _ in range(1 + (k // 3) % 3):
            cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
            x[i][(rows - cy) ** 2 + (cols - cx) ** 2 < radius ** 2] += tint
    x = np.clip(x, 0, 1) * scale
    return x.astype(dtype), y.astype("int64")


def fit_head(head_layers, features, y, optimizer, loss, *, epochs, batch_size):
    """Train a head (its layer objects, shared with the full model) on precomputed features of the frozen base:
    the state phase 1 of a source leaves the head in before its fine-tuning phase (a shortcut for fitting the
    whole model with the base frozen; no augmentation, which would only need more epochs)."""
    import keras

    inputs = keras.Input(shape=features.shape[1:])
    h = inputs
    for layer in head_layers:
        h = layer(h)
    head = keras.Model(inputs, h)
    head.compile(optimizer=optimizer, loss=loss)
    head.fit(features, y, epochs=epochs, batch_size=batch_size, verbose=0)
