"""Seed 001, "suboptimal pooling" fixed: padding="same" keeps the size through each conv, three
pooling steps take 32x32 down to 4x4, and global average pooling ends the feature extractor."""
import keras
from keras import layers

from synthetic import images


def build_model():
    blocks = [layer for filters in (32, 64, 128)
              for layer in (layers.Conv2D(filters, 3, padding="same", activation="relu"), layers.MaxPooling2D())]
    model = keras.Sequential([keras.Input((32, 32, 3)), *blocks, layers.Conv2D(128, 3, padding="same", activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dropout(0.3),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, images(256, size=32)
