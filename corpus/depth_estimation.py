"""Monocular depth estimation (DIODE indoor val set): a U-Net-style `DepthEstimationModel` subclass built from
custom DownscaleBlock / UpscaleBlock / BottleNeckBlock layers (Conv2D, BatchNormalization, LeakyReLU 0.2, an
additive skip in the downscale block), a 1x1 tanh output, and its OWN train_step/test_step and loss
(0.85 SSIM + 0.1 L1 + 0.9 edge-aware depth smoothness). Compiled as the example compiles it: Adam(2e-4,
amsgrad=False) and a placeholder SparseCategoricalCrossentropy that the custom train_step never calls.

Shrunk: 256x256 in the example -> 128x128 here (four 2x pools: the bottleneck is 8x8 instead of 16x16); the SSIM
keeps the example's max_val = WIDTH = 256. Written for Keras 3 (the example is tf.keras 2)."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from corpus._groupc import indoor_scenes

SOURCE = ("Keras examples: 'Monocular depth estimation' (keras.io/examples/vision/depth_estimation), V. Basu")
TASK = "depth"
# df[:260] of the DIODE val/indoors scenes, DataGenerator batches of 32, 30 epochs
FIT = {"batch_size": 32, "epochs": 30, "samples": 260}
TRUE = {}
HEIGHT = WIDTH = 128
SSIM_MAX_VAL = 256  # the example's WIDTH
LR = 0.0002


class DownscaleBlock(layers.Layer):
    def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
        self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
        self.reluA = layers.LeakyReLU(negative_slope=0.2)
        self.reluB = layers.LeakyReLU(negative_slope=0.2)
        self.bn2a = layers.BatchNormalization()
        self.bn2b = layers.BatchNormalization()
        self.pool = layers.MaxPool2D((2, 2), (2, 2))

    def call(self, input_tensor):
        d = self.convA(input_tensor)
        x = self.reluA(self.bn2a(d))
        x = self.reluB(self.bn2b(self.convB(x)))
        x += d
        return x, self.pool(x)


class UpscaleBlock(layers.Layer):
    def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.us = layers.UpSampling2D((2, 2))
        self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
        self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
        self.reluA = layers.LeakyReLU(negative_slope=0.2)
        self.reluB = layers.LeakyReLU(negative_slope=0.2)
        self.bn2a = layers.BatchNormalization()
        self.bn2b = layers.BatchNormalization()
        self.conc = layers.Concatenate()

    def call(self, x, skip):
        x = self.conc([self.us(x), skip])
        x = self.reluA(self.bn2a(self.convA(x)))
        return self.reluB(self.bn2b(self.convB(x)))


class BottleNeckBlock(layers.Layer):
    def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
        self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
        self.reluA = layers.LeakyReLU(negative_slope=0.2)
        self.reluB = layers.LeakyReLU(negative_slope=0.2)

    def call(self, x):
        return self.reluB(self.convB(self.reluA(self.convA(x))))


class DepthEstimationModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ssim_loss_weight = 0.85
        self.l1_loss_weight = 0.1
        self.edge_loss_weight = 0.9
        self.loss_metric = keras.metrics.Mean(name="loss")
        f = [16, 32, 64, 128, 256]
        self.downscale_blocks = [DownscaleBlock(f[0]), DownscaleBlock(f[1]), DownscaleBlock(f[2]),
                                 DownscaleBlock(f[3])]
        self.bottle_neck_block = BottleNeckBlock(f[4])
        self.upscale_blocks = [UpscaleBlock(f[3]), UpscaleBlock(f[2]), UpscaleBlock(f[1]), UpscaleBlock(f[0])]
        self.conv_layer = layers.Conv2D(1, (1, 1), padding="same", activation="tanh")

    def calculate_loss(self, target, pred):
        target = tf.cast(target, pred.dtype)
        # edge-aware depth smoothness
        dy_true, dx_true = tf.image.image_gradients(target)
        dy_pred, dx_pred = tf.image.image_gradients(pred)
        weights_x = tf.exp(tf.reduce_mean(tf.abs(dx_true)))
        weights_y = tf.exp(tf.reduce_mean(tf.abs(dy_true)))
        smoothness = tf.reduce_mean(tf.abs(dx_pred * weights_x)) + tf.reduce_mean(tf.abs(dy_pred * weights_y))
        # structural similarity
        ssim_loss = tf.reduce_mean(1 - tf.image.ssim(target, pred, max_val=SSIM_MAX_VAL, filter_size=7,
                                                     k1=0.01 ** 2, k2=0.03 ** 2))
        # point-wise depth
        l1_loss = tf.reduce_mean(tf.abs(target - pred))
        return (self.ssim_loss_weight * ssim_loss + self.l1_loss_weight * l1_loss
                + self.edge_loss_weight * smoothness)

    @property
    def metrics(self):
        return [self.loss_metric]

    def train_step(self, batch_data):
        x, target = batch_data
        with tf.GradientTape() as tape:
            pred = self(x, training=True)
            loss = self.calculate_loss(target, pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_metric.update_state(loss)
        return {"loss": self.loss_metric.result()}

    def test_step(self, batch_data):
        x, target = batch_data
        pred = self(x, training=False)
        self.loss_metric.update_state(self.calculate_loss(target, pred))
        return {"loss": self.loss_metric.result()}

    def call(self, x):
        c1, p1 = self.downscale_blocks[0](x)
        c2, p2 = self.downscale_blocks[1](p1)
        c3, p3 = self.downscale_blocks[2](p2)
        c4, p4 = self.downscale_blocks[3](p3)
        bn = self.bottle_neck_block(p4)
        u1 = self.upscale_blocks[0](bn, c4)
        u2 = self.upscale_blocks[1](u1, c3)
        u3 = self.upscale_blocks[2](u2, c2)
        u4 = self.upscale_blocks[3](u3, c1)
        return self.conv_layer(u4)


def build_model():
    model = DepthEstimationModel()
    model(np.zeros((1, HEIGHT, WIDTH, 3), "float32"))  # create every sublayer's weights
    optimizer = keras.optimizers.Adam(learning_rate=LR, amsgrad=False)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")  # unused
    model.compile(optimizer, loss=cross_entropy)
    return model


class DataGenerator(keras.utils.PyDataset):
    """The example's loader: RGB as float in [0, 1] (convert_image_dtype of the uint8 image) and the depth map
    as log(depth) clipped to [0.1, log(max_depth)], max_depth = min(300, 99th percentile); float64 batches."""

    def __init__(self, images, depths, batch_size=32, **kwargs):
        super().__init__(**kwargs)
        self.images, self.depths, self.batch_size = images, depths, batch_size

    def __len__(self):
        return int(np.ceil(len(self.images) / self.batch_size))

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        x = np.empty((len(self.images[part]), HEIGHT, WIDTH, 3))
        y = np.empty((len(self.images[part]), HEIGHT, WIDTH, 1))
        for i, (image, depth) in enumerate(zip(self.images[part], self.depths[part])):
            max_depth = min(300, np.percentile(depth, 99))
            depth = np.log(np.clip(depth, 0.1, max_depth))
            x[i] = np.round(image * 255) / 255  # uint8 PNG -> float32 [0, 1]
            y[i] = np.clip(depth, 0.1, np.log(max_depth))[..., None]
        return x, y


def data():
    images, depths = indoor_scenes(64, HEIGHT)
    return DataGenerator(images, depths, batch_size=32)
