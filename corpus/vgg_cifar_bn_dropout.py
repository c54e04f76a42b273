"""The Keras CIFAR-10 CNN example ("a simple deep CNN"): Conv32-Conv32-MaxPool-Dropout(0.25), Conv64-Conv64-
MaxPool-Dropout(0.25), Flatten, Dense(512)-Dropout(0.5), Dense(10) softmax; RMSprop(lr 1e-4, decay 1e-6), one-hot
labels, x / 255, the example's real-time augmentation (ImageDataGenerator: 10% shifts, horizontal flips).
The example has Dropout but no BatchNormalization, and nothing is added to it. Keras 3 has no `decay` argument:
the legacy per-step decay lr / (1 + decay * step) is InverseTimeDecay(1e-4, 1, 1e-6). Full size (32x32)."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import class_images, one_hot

SOURCE = ("Keras repository examples: 'Train a simple deep CNN on the CIFAR10 small images dataset' "
          "(keras/examples/cifar10_cnn.py)")
TASK = "classification"
FIT = {"batch_size": 32, "epochs": 100, "samples": 50000}
TRUE = {}


def build_model():
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(32, (3, 3), padding="same"), layers.Activation("relu"),
        layers.Conv2D(32, (3, 3)), layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)), layers.Dropout(0.25),
        layers.Conv2D(64, (3, 3), padding="same"), layers.Activation("relu"),
        layers.Conv2D(64, (3, 3)), layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)), layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512), layers.Activation("relu"), layers.Dropout(0.5),
        layers.Dense(10), layers.Activation("softmax"),
    ])
    schedule = keras.optimizers.schedules.InverseTimeDecay(1e-4, decay_steps=1, decay_rate=1e-6)
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=schedule),
                  metrics=["accuracy"])
    return model


def data():
    x, y = class_images(128, (32, 32, 3), 10)  # uint8, as keras.datasets.cifar10 gives
    # keras.preprocessing.image.ImageDataGenerator in the example; Keras 3 keeps it under tf.keras only
    generator = tf.keras.preprocessing.image.ImageDataGenerator(
        width_shift_range=0.1, height_shift_range=0.1, fill_mode="nearest", horizontal_flip=True)
    return generator.flow(x.astype("float32") / 255, one_hot(y, 10), batch_size=32, seed=0)
