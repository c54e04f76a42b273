"""A Fashion-MNIST CNN with BatchNormalization: three Conv2D(3x3) -> BatchNorm -> ReLU -> MaxPool blocks
(32/64/128 filters), Flatten, Dense(300)-ReLU-Dropout(0.2), Dense(10) softmax; categorical cross-entropy on
one-hot labels, Adam; pixels / 255.0 from the Kaggle CSV (float64, as the source's pandas pipeline gives).
Full size (28x28x1)."""
import keras
import numpy as np
from keras import layers

from corpus._data import class_images

SOURCE = ("The Lazy Programmer's 'Advanced Computer Vision' course code, "
          "lazyprogrammer/machine_learning_examples cnn_class2/fashion.py (Keras Fashion-MNIST CNN with BatchNorm)")
TASK = "classification"
# fashion-mnist_train.csv: 60,000 rows, shuffled, validation_split 0.33
FIT = {"batch_size": 32, "epochs": 15, "validation_split": 0.33, "samples": 60000}
TRUE = {}


def build_model():
    model = keras.Sequential([keras.Input((28, 28, 1))])
    for filters in (32, 64, 128):
        model.add(layers.Conv2D(filters=filters, kernel_size=(3, 3)))
        model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
        model.add(layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(units=300))
    model.add(layers.Activation("relu"))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(units=10))
    model.add(layers.Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def data():
    x, y = class_images(128, (28, 28, 1), 10)  # the CSV's pixel columns: integers 0-255
    x = x.astype("int64") / 255.0  # float64, as data[:, 1:] / 255.0 gives
    onehot = np.zeros((len(y), 10))  # the source's y2indicator: float64 one-hot
    onehot[np.arange(len(y)), y] = 1
    return x, onehot
