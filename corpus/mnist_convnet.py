"""Simple MNIST convnet: two conv/pool stages, dropout and a softmax head, one-hot labels."""
import keras
from keras import layers

from corpus._data import class_images, one_hot

SOURCE = "Keras examples: 'Simple MNIST convnet' (keras.io/examples/vision/mnist_convnet), F. Chollet"
TASK = "classification"
FIT = {"batch_size": 128, "epochs": 15, "validation_split": 0.1, "samples": 60000}
TRUE = {}


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def data():
    x, y = class_images(128, (28, 28, 1), 10)  # uint8 0-255, as keras.datasets.mnist gives
    return x.astype("float32") / 255, one_hot(y, 10)  # the source scales to [0, 1] and one-hot encodes
