"""U-Net-like segmentation from scratch (Oxford-IIIT Pets trimaps): Xception-style downsampling (SeparableConv2D
+ BatchNorm, max-pool, 1x1-projected residuals), Conv2DTranspose + UpSampling2D upsampling, a per-pixel softmax
over 3 classes, sparse categorical cross-entropy on integer masks (n, h, w, 1).

Shrunk: 160x160 in the example -> 64x64 here (the net divides by 16 and multiplies back: any multiple of 16
works); every layer and width is the example's."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import segmentation

SOURCE = ("Keras examples: 'Image segmentation with a U-Net-like architecture' "
          "(keras.io/examples/vision/oxford_pets_image_segmentation), F. Chollet; Keras 3 version")
TASK = "segmentation"
# 7390 pets minus 1000 for validation; the Keras 3 example trains on max_dataset_len=1000 of them, 50 epochs
FIT = {"batch_size": 32, "epochs": 50, "samples": 1000}
TRUE = {}
SLOW = True  # ~20-40 s on 2 shared CPU cores
SIZE = 64
NUM_CLASSES = 3


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (3,))
    # entry block
    x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous = x
    # downsampling: three identical blocks apart from the width
    for filters in (64, 128, 256):
        for _ in range(2):
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous)
        x = layers.add([x, residual])
        previous = x
    # upsampling
    for filters in (256, 128, 64, 32):
        for _ in range(2):
            x = layers.Activation("relu")(x)
            x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous = x
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)  # per-pixel classes
    return keras.Model(inputs, outputs)


def build_model():
    model = get_model((SIZE, SIZE), NUM_CLASSES)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
    return model


def data():
    # decode_png + tf.image.resize: float32 in [0, 255] (convert_image_dtype leaves floats as they are);
    # trimaps resized 'nearest', uint8, minus 1 -> 0 pet, 1 background, 2 border
    x, mask = segmentation(96, (SIZE, SIZE, 3), NUM_CLASSES)
    trimap = mask.choose([1, 0, 2]).astype("uint8")  # background is the trimap's class 1
    return tf.data.Dataset.from_tensor_slices((x.astype("float32"), trimap)).batch(32)
