"""A long training job guarded by cnnlint: one added line before `model.fit`.

`python examples/long_job_with_preflight.py` checks the model, its data and the plan (static rules and
the probe fit, on a copy), then trains. Set BUGGY=1 to feed raw 0-255 images with sparse labels into a
one-unit softmax: the pre-flight check stops it before the first epoch, with the findings and the fixes.
"""
import os
import sys

import keras
from keras import layers

import cnnlint
from synthetic import images

EPOCHS, BATCH = 30, 32


def build_model(buggy=False):
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dropout(0.3),
        layers.Dense(1 if buggy else 10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = images(512, size=32, raw=buggy)
    return model, (x, y)


def train(epochs=EPOCHS, buggy=False):
    model, (x, y) = build_model(buggy)
    cnnlint.preflight(model, x, y, batch_size=BATCH, epochs=epochs, validation_split=0.2)  # the added line
    return model.fit(x, y, batch_size=BATCH, epochs=epochs, validation_split=0.2, verbose=2)


if __name__ == "__main__":
    try:
        train(buggy=bool(os.environ.get("BUGGY")))
    except cnnlint.PreflightError as error:
        sys.exit(str(error))
