"""The Keras CIFAR-10 ResNet example, ResNet v1 with depth 20 (n = 3): Conv-BN-ReLU layers (he_normal, L2 1e-4),
three stacks of two residual blocks (16/32/64 filters, 1x1 strided projection shortcuts), the last ReLU after each
add, 8x8 average pooling and a he_normal softmax head; Adam at lr_schedule(0) = 1e-3 (the LearningRateScheduler and
ReduceLROnPlateau callbacks are left aside). Inputs are floats in [0, 1] with the per-pixel training mean
subtracted; one-hot labels; the example's real-time augmentation (ImageDataGenerator: 10% shifts, horizontal
flips) feeds `fit`. Full size (32x32)."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import class_images, one_hot

SOURCE = ("Keras repository examples: 'Trains a ResNet on the CIFAR10 dataset' (keras/examples/cifar10_resnet.py), "
          "ResNet20 v1 after He et al. 2015")
TASK = "classification"
FIT = {"batch_size": 32, "epochs": 200, "samples": 50000}
TRUE = {}


def _conv_bn(x, filters=16, kernel_size=3, strides=1, activation="relu", batch_normalization=True):
    x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides, padding="same",
                      kernel_initializer="he_normal", kernel_regularizer=keras.regularizers.l2(1e-4))(x)
    if batch_normalization:
        x = layers.BatchNormalization()(x)
    if activation is not None:
        x = layers.Activation(activation)(x)
    return x


def build_model(depth=20, classes=10):
    blocks = (depth - 2) // 6
    inputs = keras.Input((32, 32, 3))
    x = _conv_bn(inputs)
    filters = 16
    for stack in range(3):
        for block in range(blocks):
            strides = 2 if stack > 0 and block == 0 else 1
            y = _conv_bn(x, filters, strides=strides)
            y = _conv_bn(y, filters, activation=None)
            if strides == 2:  # linear projection shortcut where the size changes
                x = _conv_bn(x, filters, kernel_size=1, strides=strides, activation=None, batch_normalization=False)
            x = layers.add([x, y])
            x = layers.Activation("relu")(x)
        filters *= 2
    x = layers.AveragePooling2D(pool_size=8)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(classes, activation="softmax", kernel_initializer="he_normal")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  metrics=["accuracy"])
    return model


def data():
    x, y = class_images(128, (32, 32, 3), 10)  # uint8, as keras.datasets.cifar10 gives
    x = x.astype("float32") / 255
    x -= x.mean(axis=0)  # subtract_pixel_mean
    # keras.preprocessing.image.ImageDataGenerator in the example; Keras 3 keeps it under tf.keras only
    generator = tf.keras.preprocessing.image.ImageDataGenerator(
        width_shift_range=0.1, height_shift_range=0.1, fill_mode="nearest", horizontal_flip=True)
    return generator.flow(x, one_hot(y, 10), batch_size=32, seed=0)
