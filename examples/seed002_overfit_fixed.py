"""Seed 002, example 1 fixed: dropout in the head and an augmenting ImageDataGenerator as the data."""
import keras
from keras import layers

from seed002_overfit import cnn
from synthetic import images


def build_model():
    model = cnn(layers.Dropout(0.5), layers.Dense(128, activation="relu"), layers.Dropout(0.3))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = images(512, raw=True)
    augment = keras.preprocessing.image.ImageDataGenerator(
        rescale=1.0 / 255, rotation_range=20, width_shift_range=0.2, height_shift_range=0.2,
        shear_range=0.2, zoom_range=0.2, horizontal_flip=True)
    return model, augment.flow(x, y, batch_size=32, seed=0)


if __name__ == "__main__":
    model, data = build_model()
    model.fit(data, epochs=2)
