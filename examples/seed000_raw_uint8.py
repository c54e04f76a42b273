"""Seed 000: a CNN for 28x28x3 images fed the camera's raw 32x32 uint8 images, skipping the pipeline.

The seed's preprocessing pipeline (convert to float32, resize to 28x28, standardize) exists, but the
training call gets the raw arrays. Its optimizer is the seed's Adam with ExponentialDecay starting at
0.01 and decay_steps=10000. cnnlint: CNN101 (image size), CNN102 (uint8), CNN103 (0-255 values),
CNN303 (Adam starting at 0.01), and with a plan (--epochs 10) CNN304 (the schedule never moves).
"""
import keras
from keras import layers

from synthetic import images


def cnn(initial_learning_rate=0.01, decay_steps=10000):
    model = keras.Sequential([
        keras.Input((28, 28, 3)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
    ])
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=decay_steps, decay_rate=0.9)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_model():
    return cnn(), images(256, size=32, raw=True)
