"""Image classification from scratch (Kaggle Cats vs Dogs): a small Xception-like network, Rescaling(1/255) at
its start, SeparableConv2D + BatchNorm blocks with projected residual adds, and a 1-unit logit head.

The Keras 3 version of the example applies its augmentation (RandomFlip + RandomRotation) in the tf.data
pipeline ("option 2", `train_ds.map(...)`), not inside the model: `data()` does the same.
Shrunk: 180x180 in the example -> 48x48 here (the strided entry conv and the three pooled blocks still leave 3x3 maps);
the architecture is unchanged."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import class_images

SOURCE = ("Keras examples: 'Image classification from scratch' "
          "(keras.io/examples/vision/image_classification_from_scratch), F. Chollet, Keras 3 version")
TASK = "classification"
# PetImages after the corrupted-file filter: 23,410 images, 80% for training; batch 128, 25 epochs
FIT = {"batch_size": 128, "epochs": 25, "samples": 18728}
TRUE = {}
SLOW = True  # 2.7M params at batch 128 for the memory and pipeline steps: ~25-60 s on a shared 2-core CPU
SIZE = 48

_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]


def _augment(images):
    for layer in _augmentation_layers:
        images = layer(images)
    return images


def build_model():
    inputs = keras.Input(shape=(SIZE, SIZE, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    shortcut = x
    for width in (256, 512, 728):
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(width, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(width, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        projected = layers.Conv2D(width, 1, strides=2, padding="same")(shortcut)
        x = layers.add([x, projected])
        shortcut = x
    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(1, activation=None)(x)  # logits
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-4),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(name="acc")])
    return model


def data():
    # image_dataset_from_directory: float32 in [0, 255], int32 labels (0 cat, 1 dog), batches of 128
    x, y = class_images(128, (SIZE, SIZE, 3), 2)
    ds = tf.data.Dataset.from_tensor_slices((x.astype("float32"), y.astype("int32"))).batch(128)
    return ds.map(lambda img, label: (_augment(img), label))
