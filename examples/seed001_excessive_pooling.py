"""Seed 001, "suboptimal pooling": four conv+pool blocks shrink a 32x32 image to nothing.

Keras refuses to build this model (a conv sees a 2x2 map with a 3x3 kernel); cnnlint still reports
CNN201 spatial-collapse on that layer, with the shape trail 32 -> 30 -> 15 -> 13 -> 6 -> 4 -> 2 -> 0.
"""
import keras
from keras import layers


def build_model():
    blocks = [layer for _ in range(4) for layer in (layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D())]
    model = keras.Sequential([keras.Input((32, 32, 3)), *blocks, layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
