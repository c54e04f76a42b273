"""Seed 002, example 2: one 16-filter conv and a linear classifier: too little capacity, it underfits.

Nothing in its structure is wrong; the symptom shows when it is trained, so cnnlint's probe fit
(CNN405 cannot-overfit-batch) is what catches it. The static rules find nothing.
"""
import keras
from keras import layers

from synthetic import images


def build_model():
    model = keras.Sequential([
        keras.Input((64, 64, 3)),
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, images(512)


if __name__ == "__main__":
    model, (x, y) = build_model()
    model.fit(x, y, epochs=2, validation_split=0.2)
