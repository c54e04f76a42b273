"""ESPCN (Shi et al. 2016) as the Keras example builds it: four ReLU Conv2D layers with Orthogonal kernels
(5x5/64, 3x3/64, 3x3/32, 3x3/upscale^2), no normalization, then a sub-pixel shuffle (depth_to_space, here a
layer) to 3x the size; trained on the Y channel in [0, 1] of BSDS500 crops, MSE, Adam 1e-3, batches of 8,
100 epochs. The model takes any input size (None, None, 1), as the example's.

Shrunk: the example crops 300x300 (input 100x100 -> 300x300); the data here is 120x120 crops (40x40 -> 120x120)."""
import keras
import tensorflow as tf
from keras import layers

from corpus._groupc import DepthToSpace, area_downsample, natural_images, rgb_to_y

SOURCE = ("Keras examples: 'Image Super-Resolution using an Efficient Sub-Pixel CNN' "
          "(keras.io/examples/vision/super_resolution_sub_pixel), X. Long; reference design: Shi et al., CVPR 2016")
TASK = "super-resolution"
# BSDS500: 500 images, validation_split=0.2 -> 400 for training; batch_size 8, 100 epochs
FIT = {"batch_size": 8, "epochs": 100, "samples": 400}
TRUE = {}
CROP_SIZE = 120  # the example's crop_size is 300
UPSCALE_FACTOR = 3
INPUT_SIZE = CROP_SIZE // UPSCALE_FACTOR


def get_model(upscale_factor=3, channels=1):
    conv_args = {"activation": "relu", "kernel_initializer": "Orthogonal", "padding": "same"}
    inputs = keras.Input(shape=(None, None, channels))
    x = layers.Conv2D(64, 5, **conv_args)(inputs)
    x = layers.Conv2D(64, 3, **conv_args)(x)
    x = layers.Conv2D(32, 3, **conv_args)(x)
    x = layers.Conv2D(channels * (upscale_factor ** 2), 3, **conv_args)(x)
    outputs = DepthToSpace(upscale_factor)(x)
    return keras.Model(inputs, outputs)


def build_model():
    model = get_model(upscale_factor=UPSCALE_FACTOR, channels=1)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss=keras.losses.MeanSquaredError())
    return model


def data():
    # image_dataset_from_directory (float32 0-255) / 255 -> rgb_to_yuv: input = Y resized 'area' to crop/3,
    # target = Y at the crop size; both float32 in [0, 1]
    hr = natural_images(64, CROP_SIZE, seed=0)
    y = rgb_to_y(hr).astype("float32")
    x = area_downsample(y, UPSCALE_FACTOR).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
