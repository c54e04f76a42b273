"""Learning to resize (Talebi & Milanfar) on Cats vs Dogs: Rescaling(1/255), a learnable resizer (a naive
bilinear resize plus a small conv network with LeakyReLU, BatchNorm, a residual block and a bottleneck resize)
feeding a DenseNet-121 trained from scratch (weights=None in the source too, include_top with 2 classes);
CategoricalCrossentropy(label_smoothing=0.1) on one-hot labels (tf.one_hot in the tf.data pipeline), SGD.

Shrunk: input 300x300 resized to 150x150 in the source -> 128x128 resized to 64x64 here (the same 2:1
resize; DenseNet-121 leaves a 2x2 final map); the architecture is unchanged."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import class_images, one_hot

SOURCE = ("Keras examples: 'Learning to Resize in Computer Vision' (keras.io/examples/vision/learnable_resizer), "
          "S. Paul")
TASK = "classification"
# tfds cats_vs_dogs train[:40%] = 9305 images, batched 64, 5 epochs
FIT = {"batch_size": 64, "epochs": 5, "samples": 9305}
TRUE = {}
SLOW = True
INP_SIZE = (128, 128)
TARGET_SIZE = (64, 64)
INTERPOLATION = "bilinear"


def conv_block(x, filters, kernel_size, strides, activation):
    x = layers.Conv2D(filters, kernel_size, strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if activation:
        x = activation(x)
    return x


def res_block(x, shared_activation):
    inputs = x
    x = conv_block(x, 16, 3, 1, shared_activation)
    x = conv_block(x, 16, 3, 1, activation=None)
    return layers.Add()([inputs, x])


def get_learnable_resizer(filters=16, num_res_blocks=1, interpolation=INTERPOLATION):
    # the source's conv_block defaults to `activation=layers.LeakyReLU(0.2)`: one instance, shared by every call
    shared_activation = layers.LeakyReLU(0.2)
    inputs = layers.Input(shape=[None, None, 3])
    naive_resize = layers.Resizing(*TARGET_SIZE, interpolation=interpolation)(inputs)
    x = layers.Conv2D(filters=filters, kernel_size=7, strides=1, padding="same")(inputs)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(filters=filters, kernel_size=1, strides=1, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.BatchNormalization()(x)
    bottleneck = layers.Resizing(*TARGET_SIZE, interpolation=interpolation)(x)
    x = res_block(bottleneck, shared_activation)
    for _ in range(num_res_blocks - 1):
        x = res_block(x, shared_activation)
    x = layers.Conv2D(filters=filters, kernel_size=3, strides=1, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Add()([bottleneck, x])
    x = layers.Conv2D(filters=3, kernel_size=7, strides=1, padding="same")(x)
    final_resize = layers.Add()([naive_resize, x])
    return keras.Model(inputs, final_resize, name="learnable_resizer")


def build_model():
    learnable_resizer = get_learnable_resizer()
    backbone = keras.applications.DenseNet121(weights=None, include_top=True, classes=2,
                                              input_shape=(TARGET_SIZE[0], TARGET_SIZE[1], 3))
    backbone.trainable = True
    inputs = layers.Input((INP_SIZE[0], INP_SIZE[1], 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)
    x = learnable_resizer(x)
    outputs = backbone(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1), optimizer="sgd",
                  metrics=["accuracy"])
    return model


def data():
    # tf.image.resize of the decoded JPEGs: float32 in [0, 255]; tf.one_hot(label, 2); batches of 64
    x, y = class_images(128, (INP_SIZE[0], INP_SIZE[1], 3), 2)
    ds = tf.data.Dataset.from_tensor_slices((x.astype("float32"), one_hot(y, 2)))
    return ds.shuffle(64 * 100, seed=0).batch(64)
