"""Seed 002, example 2: one 16-filter conv and a linear classifier: too little capacity, it underfits.

Nothing in its structure is wrong, and it memorizes the probe's 16 samples easily: its underfitting
shows only on the full data set (training and validation accuracy both low), beyond what a linter can
see before training. cnnlint reports nothing, honestly; compare seed001_capacity.py, whose starved
model the probe does catch (CNN405).
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
