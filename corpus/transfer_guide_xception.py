"""Transfer learning guide, end-to-end cats vs. dogs, phase 1: a frozen Xception (run in inference mode) under a
new logit head, with augmentation and [-1, 1] rescaling inside the model.

Shrunk: 150x150 in the guide -> 80x80 here (Xception needs at least 71x71); the architecture is unchanged."""
import keras
import tensorflow as tf
from keras import layers

from corpus._groupb import invariant_images
from corpus._weights import as_pretrained

SOURCE = ("Keras guide 'Transfer learning & fine-tuning' (keras.io/guides/transfer_learning), end-to-end "
          "cats vs. dogs example, 'Train the top layer', F. Chollet")
TASK = "classification"
# tfds cats_vs_dogs train[:40%] = 9305 images, batched 32, 20 epochs for the top layer
FIT = {"batch_size": 32, "epochs": 20, "samples": 9305}
TRUE = {}
NOTE = ("weights=None instead of 'imagenet': the Xception kernels are random; its BatchNormalization statistics "
        "emulate pretraining (as_pretrained on inputs rescaled to [-1, 1]).")
SIZE = 80


def _backbone(x_pre):
    base = keras.applications.Xception(weights=None, input_shape=(SIZE, SIZE, 3), include_top=False)
    as_pretrained(base, x_pre)
    return base


def build_parts():
    """(model, base): the guide's model with its base frozen; the fine-tuning module reuses it."""
    x, _ = _images()
    base = _backbone(x[:64] / 127.5 - 1.0)
    base.trainable = False
    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
    inputs = keras.Input(shape=(SIZE, SIZE, 3))
    h = augmentation(inputs)
    h = layers.Rescaling(scale=1 / 127.5, offset=-1)(h)  # Xception expects [-1, 1]
    h = base(h, training=False)  # BatchNorm stays in inference mode, even once the base is unfrozen
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.Dropout(0.2)(h)
    outputs = layers.Dense(1)(h)
    return keras.Model(inputs, outputs), base


def build_model():
    model, _ = build_parts()
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model


def _images():
    # tf.image.resize of the decoded JPEGs: float32 in [0, 255]; label 1 = dog, 0 = cat
    x, y = invariant_images(96, (SIZE, SIZE, 3), 2)
    return x.astype("float32"), y


def data():
    x, y = _images()
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
