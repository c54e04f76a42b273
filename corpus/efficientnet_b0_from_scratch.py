"""EfficientNet example, 'Training a model from scratch' on Stanford Dogs: keras.applications.EfficientNetB0 with
weights=None and a 120-class top, after the example's augmentation layers (RandomRotation 0.15, RandomTranslation
0.1, RandomFlip, RandomContrast 0.1) inside the model; images in [0, 255] (EfficientNet rescales and normalizes
internally), one-hot labels, categorical cross-entropy, Adam (default).

Shrunk: 224x224 in the example -> 64x64 here (its final map is 2x2; at 32x32 it would be 1x1); the architecture
is unchanged."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import class_images, one_hot

SOURCE = ("Keras examples: 'Image classification via fine-tuning with EfficientNet' "
          "(keras.io/examples/vision/image_classification_efficientnet_fine_tuning), Y. Fu, "
          "part 'Training a model from scratch'")
TASK = "classification"
# Stanford Dogs: 12,000 training images, 120 classes; batches of 64 (drop_remainder), 40 epochs
FIT = {"batch_size": 64, "epochs": 40, "samples": 12000}
TRUE = {}
SLOW = True  # EfficientNetB0: the probe runs to its time budget on CPU
SIZE = 64
CLASSES = 120

_augmentation_layers = [
    layers.RandomRotation(factor=0.15),
    layers.RandomTranslation(height_factor=0.1, width_factor=0.1),
    layers.RandomFlip(),
    layers.RandomContrast(factor=0.1),
]


def _augment(images):
    for layer in _augmentation_layers:
        images = layer(images)
    return images


def build_model():
    inputs = layers.Input(shape=(SIZE, SIZE, 3))
    x = _augment(inputs)
    outputs = keras.applications.EfficientNetB0(include_top=True, weights=None, classes=CLASSES,
                                                input_shape=(SIZE, SIZE, 3))(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    # tfds stanford_dogs resized with tf.image.resize: float32 in [0, 255]; labels one-hot (tf.one_hot)
    x, y = class_images(128, (SIZE, SIZE, 3), CLASSES)
    ds = tf.data.Dataset.from_tensor_slices((x.astype("float32"), one_hot(y, CLASSES)))
    return ds.batch(64, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
