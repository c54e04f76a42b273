"""Timeseries classification from scratch (FordA): a fully convolutional network, three Conv1D(64, 3) + BatchNorm
+ ReLU blocks, global average pooling and a softmax over the two classes, sparse categorical cross-entropy.
The example's callbacks (checkpoint, ReduceLROnPlateau, EarlyStopping) are left aside. Full size (500 x 1)."""
import keras
from keras import layers

from corpus._data import signals

SOURCE = ("Keras examples: 'Timeseries classification from scratch' "
          "(keras.io/examples/timeseries/timeseries_classification_from_scratch), H. Ismail Fawaz")
TASK = "classification"
FIT = {"batch_size": 32, "epochs": 500, "validation_split": 0.2, "samples": 3601}
TRUE = {}
LENGTH = 500


def build_model():
    inputs = keras.Input((LENGTH, 1))
    x = inputs
    for _ in range(3):
        x = layers.Conv1D(filters=64, kernel_size=3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    # FordA is z-normalized, univariate (reshaped to one channel), shuffled before validation_split, labels
    # -1/1 mapped to 0/1 (integers)
    return signals(128, LENGTH, 1, 2)
