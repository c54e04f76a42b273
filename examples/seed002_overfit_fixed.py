"""Seed 002, example 1 fixed: dropout in the head, and augmentation.

The seed augments with ImageDataGenerator(rotation_range=20, shifts 0.2, shear 0.2, zoom 0.2,
horizontal_flip); Keras 3 removed that class, so the same augmentation runs as Keras 3 layers inside
the model (they are active only in training). cnnlint: no missing-regularization finding.
"""
import keras
from keras import layers

from seed002_overfit import cnn
from synthetic import images


def build_model():
    augment = keras.Sequential([
        layers.RandomFlip("horizontal"), layers.RandomRotation(20 / 360),
        layers.RandomTranslation(0.2, 0.2), layers.RandomZoom(0.2),
    ], name="augment")
    body = cnn(layers.Dropout(0.5), layers.Dense(128, activation="relu"), layers.Dropout(0.3))
    inputs = keras.Input((64, 64, 3))
    model = keras.Model(inputs, body(augment(inputs)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, images(512)


if __name__ == "__main__":
    model, (x, y) = build_model()
    model.fit(x, y, epochs=2, validation_split=0.2)
