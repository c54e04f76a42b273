"""Seed 001, example 1 ("insufficient capacity and learning rate"), before the fix.

A single 32-filter conv trained by SGD at 1e-6: too narrow, and a learning rate so low that the loss
barely moves ("my CNN is not improving"). cnnlint: CNN303 learning-rate-out-of-range; the probe
(CNN402/CNN405) shows the stall itself.
"""
import keras
from keras import layers

from synthetic import images


def build_model():
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-6),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, images(256, size=28, channels=1)
