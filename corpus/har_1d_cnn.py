"""A 1D CNN for human activity recognition (UCI HAR, windows of 128 steps x 9 inertial channels): two
Conv1D(64, 3, relu), Dropout(0.5), MaxPooling1D(2), Flatten, Dense(100, relu), Dense(6) softmax; categorical
cross-entropy on one-hot labels, adam. Inputs standardized per channel (the tutorial's data-transformation
section). Full size (128 x 9)."""
import keras
from keras import layers

from corpus._data import one_hot, signals

SOURCE = ("J. Brownlee, 'How to Develop 1D Convolutional Neural Network Models for Human Activity Recognition' "
          "(machinelearningmastery.com, 2018), the first 1D CNN")
TASK = "classification"
FIT = {"batch_size": 32, "epochs": 10, "samples": 7352}
TRUE = {}


def build_model():
    model = keras.Sequential([
        keras.Input((128, 9)),
        layers.Conv1D(filters=64, kernel_size=3, activation="relu"),
        layers.Conv1D(filters=64, kernel_size=3, activation="relu"),
        layers.Dropout(0.5),
        layers.MaxPooling1D(pool_size=2),
        layers.Flatten(),
        layers.Dense(100, activation="relu"),
        layers.Dense(6, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def data():
    x, y = signals(128, 128, 9, 6)  # float32, standardized
    return x, one_hot(y, 6)  # to_categorical of the activity codes 1-6 shifted to 0-5
