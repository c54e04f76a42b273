"""Wide ResNet WRN-16-4 with dropout (Zagoruyko & Komodakis) on CIFAR-10, written the way the Keras guide
'Making new layers and models via subclassing' builds a ResNet: a `keras.Model` subclass whose body is made of
custom `Layer` subclasses. Each wide basic block is pre-activation: BN-ReLU-conv3x3-BN-ReLU-Dropout(0.3)-
conv3x3, with a 1x1 projection of the pre-activated input where the width or stride changes; three groups of
two blocks (widths 64, 128, 256), a final BN-ReLU, global average pooling (the 8x8 average pool) and a linear
head. Kernels use He (fan-out) normal initialization, as the reference code does.

Training as in the paper: SGD with Nesterov momentum 0.9, batch 128, lr 0.1 divided by 5 at epochs 60, 120
and 160 of 200, weight decay 5e-4 (as an L2 penalty of 2.5e-4 * ||w||^2, whose gradient is 5e-4 * w), cross-
entropy on logits; inputs standardized per channel; random 4-pixel reflect-padded crops and horizontal flips,
here applied in the tf.data pipeline. Input size: 32x32x3 as in the paper."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from corpus._data import class_images

SOURCE = ("S. Zagoruyko and N. Komodakis, 'Wide Residual Networks' (BMVC 2016), WRN-16-4 with dropout 0.3, "
          "reference code github.com/szagoruyko/wide-residual-networks; subclassing as in the Keras guide "
          "'Making new layers and models via subclassing' "
          "(keras.io/guides/making_new_layers_and_models_via_subclassing)")
TASK = "classification"
# CIFAR-10: 50000 training images, batch 128, 200 epochs
FIT = {"batch_size": 128, "epochs": 200, "samples": 50000}
TRUE = {}
SLOW = True
STEPS_PER_EPOCH = 391  # ceil(50000 / 128)
WEIGHT_DECAY = 5e-4
MEAN = np.array([125.3, 123.0, 113.9], dtype="float32")  # CIFAR-10 per-channel statistics (0-255 scale)
STD = np.array([63.0, 62.1, 66.7], dtype="float32")


def _conv(filters, kernel_size, strides=1):
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                         kernel_initializer=keras.initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal"),
                         kernel_regularizer=keras.regularizers.l2(WEIGHT_DECAY / 2))


class WideBasicBlock(layers.Layer):
    """Pre-activation wide basic block with dropout between its two 3x3 convolutions."""

    def __init__(self, filters, strides=1, dropout=0.3, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.strides, self.dropout = filters, strides, dropout
        self.bn1 = layers.BatchNormalization()
        self.conv1 = _conv(filters, 3, strides)
        self.bn2 = layers.BatchNormalization()
        self.drop = layers.Dropout(dropout)
        self.conv2 = _conv(filters, 3)
        self.shortcut = None

    def build(self, input_shape):
        if input_shape[-1] != self.filters or self.strides != 1:
            self.shortcut = _conv(self.filters, 1, self.strides)

    def call(self, x, training=None):
        o1 = keras.ops.relu(self.bn1(x, training=training))
        y = self.conv1(o1)
        y = keras.ops.relu(self.bn2(y, training=training))
        y = self.conv2(self.drop(y, training=training))
        return y + (self.shortcut(o1) if self.shortcut is not None else x)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides, "dropout": self.dropout}


class BlockGroup(layers.Layer):
    """`n` wide basic blocks, the first one carrying the stride."""

    def __init__(self, filters, n, strides, dropout, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [WideBasicBlock(filters, strides if i == 0 else 1, dropout) for i in range(n)]

    def call(self, x, training=None):
        for block in self.blocks:
            x = block(x, training=training)
        return x


class WideResNet(keras.Model):
    def __init__(self, depth=16, widen=4, dropout=0.3, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        n = (depth - 4) // 6
        self.stem = _conv(16, 3)
        self.group1 = BlockGroup(16 * widen, n, 1, dropout)
        self.group2 = BlockGroup(32 * widen, n, 2, dropout)
        self.group3 = BlockGroup(64 * widen, n, 2, dropout)
        self.bn = layers.BatchNormalization()
        self.pool = layers.GlobalAveragePooling2D()
        self.classifier = layers.Dense(num_classes, kernel_regularizer=keras.regularizers.l2(WEIGHT_DECAY / 2))

    def call(self, x, training=None):
        x = self.stem(x)
        x = self.group1(x, training=training)
        x = self.group2(x, training=training)
        x = self.group3(x, training=training)
        x = keras.ops.relu(self.bn(x, training=training))
        return self.classifier(self.pool(x))


def build_model():
    model = WideResNet(depth=16, widen=4, dropout=0.3)
    model(keras.ops.zeros((1, 32, 32, 3)))  # build the subclassed model
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[60 * STEPS_PER_EPOCH, 120 * STEPS_PER_EPOCH, 160 * STEPS_PER_EPOCH],
        values=[0.1, 0.02, 0.004, 0.0008])
    model.compile(optimizer=keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def _augment(image, label):
    image = tf.pad(image, [[4, 4], [4, 4], [0, 0]], mode="REFLECT")
    image = tf.image.random_crop(image, (32, 32, 3))
    return tf.image.random_flip_left_right(image), label


def data():
    x, y = class_images(128, (32, 32, 3), 10)  # uint8 CIFAR-like images
    x = (x.astype("float32") - MEAN) / STD  # per-channel standardization
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0)
    return ds.map(_augment).batch(128)
