"""Convolutional denoising autoencoder on MNIST: Conv2D(32, relu) + MaxPooling2D twice, Conv2DTranspose(32,
stride 2, relu) twice, a sigmoid Conv2D(1) output; binary cross-entropy, adam. This is the example's second
fit: noisy digits (x + 0.4 * N(0, 1), clipped to [0, 1]) in, clean digits out, batch 128, 100 epochs."""
import keras
import numpy as np
from keras import layers

from corpus._groupc import digits

SOURCE = ("Keras examples: 'Convolutional autoencoder for image denoising' "
          "(keras.io/examples/vision/autoencoder), S. L. Valdarrama")
TASK = "denoising"
FIT = {"batch_size": 128, "epochs": 100, "samples": 60000}
TRUE = {}


def build_model():
    inputs = layers.Input(shape=(28, 28, 1))
    # encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inputs)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    # decoder
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(inputs, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def data():
    clean = digits(128)  # preprocess(): float32 / 255, reshaped to (n, 28, 28, 1)
    rng = np.random.default_rng(1)
    noisy = np.clip(clean + 0.4 * rng.normal(0.0, 1.0, clean.shape), 0.0, 1.0)  # noise(): float64, as numpy gives
    return noisy, clean
