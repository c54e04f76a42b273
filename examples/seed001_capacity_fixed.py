"""Seed 001, example 1 after the fix: 64 and 128 filters, Adam at 1e-3 (the seed's own model)."""
import keras
from keras import layers

from synthetic import images


def build_model():
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(128, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, images(256, size=28, channels=1)
