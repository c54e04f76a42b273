"""Seed 002, example 3: Adam at learning rate 0.01: the loss jumps and oscillates.

cnnlint: CNN303 learning-rate-out-of-range. The fix is seed002_high_lr_fixed.py (Adam at 1e-3).
"""
import keras
from keras import layers

from synthetic import images


def cnn(learning_rate):
    model = keras.Sequential([
        keras.Input((64, 64, 3)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_model():
    return cnn(0.01), images(256)
