"""3D image classification from CT scans (MosMedData): four Conv3D(relu) -> MaxPool3D -> BatchNorm stages, global
average pooling, Dense(512) + Dropout(0.3) and a sigmoid unit; binary cross-entropy, Adam under an exponential
decay schedule. The training pipeline rotates each volume by a few degrees (scipy, through tf.numpy_function) and
adds the channel axis; batches of 2.

Shrunk: 128x128x64 volumes in the example -> 48x48x48 here (four valid 3x3x3 convs and 2x pools need at least 46
voxels per axis); the architecture is unchanged."""
import random

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from corpus._data import volumes

SOURCE = ("Keras examples: '3D image classification from CT scans' "
          "(keras.io/examples/vision/3D_image_classification), H. Zunair")
TASK = "classification"
# 70 abnormal + 70 normal scans for training, batch 2, 100 epochs (EarlyStopping aside)
FIT = {"batch_size": 2, "epochs": 100, "samples": 140}
TRUE = {
    "CNN304": "ExponentialDecay(1e-4, decay_steps=100000, staircase=True) never fires in the example's plan: 100 "
              "epochs x 70 steps = 7,000 steps, so the schedule is a constant 1e-4 (harmless, but not what it says)",
    "CNN305": "the example trains four BatchNormalization layers on batches of 2 volumes: their batch statistics are "
              "noisy and the moving averages lag what training saw (memory forced the small batch; GroupNorm fits it)",
}
SHAPE = (48, 48, 48)


def build_model():
    inputs = keras.Input((*SHAPE, 1))
    x = inputs
    for filters in (64, 64, 128, 256):
        x = layers.Conv3D(filters=filters, kernel_size=3, activation="relu")(x)
        x = layers.MaxPool3D(pool_size=2)(x)
        x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(units=512, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(units=1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name="3dcnn")
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-4, decay_steps=100000, decay_rate=0.96,
                                                           staircase=True)
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=schedule),
                  metrics=["acc"])
    return model


def _rotate(volume):
    from scipy import ndimage

    angle = random.choice([-20, -10, -5, 5, 10, 20])
    return np.clip(ndimage.rotate(volume, angle, reshape=False), 0, 1).astype("float32")


def _train_preprocessing(volume, label):
    volume = tf.numpy_function(_rotate, [volume], tf.float32)
    volume = tf.reshape(volume, SHAPE)
    return tf.expand_dims(volume, axis=3), label


def data():
    # scans resized and rescaled from HU to [0, 1] (float32), labels 1 abnormal / 0 normal
    x, y = volumes(64, SHAPE)
    ds = tf.data.Dataset.from_tensor_slices((x[..., 0], y.astype("int64")))
    return ds.shuffle(len(x), seed=0).map(_train_preprocessing).batch(2).prefetch(2)
