"""Seed 002, example 1: a CNN with no regularization on a small dataset overfits.

Training accuracy races to 100% while validation accuracy stalls: ~680k parameters, 512 images,
no dropout, no augmentation. cnnlint: CNN204 missing-regularization.
"""
import keras
from keras import layers

from synthetic import images


def cnn(*extra_head):
    return keras.Sequential([
        keras.Input((64, 64, 3)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(128, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), *extra_head,
        layers.Dense(10, activation="softmax"),
    ])


def build_model():
    model = cnn(layers.Dense(128, activation="relu"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, images(512)


if __name__ == "__main__":
    model, (x, y) = build_model()
    model.fit(x, y, epochs=2, validation_split=0.2)
