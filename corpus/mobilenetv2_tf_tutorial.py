"""TensorFlow tutorial 'Transfer learning and fine-tuning', feature-extraction step: a frozen MobileNetV2 under a
logit head, with augmentation and mobilenet_v2.preprocess_input ([0, 255] -> [-1, 1]) inside the model and the
base called with training=False.

Input at the tutorial's 160x160 (not shrunk)."""
import keras
import tensorflow as tf
from keras import layers

from corpus._groupb import invariant_images
from corpus._weights import as_pretrained

SOURCE = ("TensorFlow tutorial 'Transfer learning and fine-tuning' "
          "(tensorflow.org/tutorials/images/transfer_learning), MobileNetV2 on cats_and_dogs_filtered")
TASK = "classification"
# cats_and_dogs_filtered: 2000 training images, image_dataset_from_directory batch 32, initial_epochs = 10
FIT = {"batch_size": 32, "epochs": 10, "samples": 2000}
TRUE = {}
NOTE = ("weights=None instead of 'imagenet': the MobileNetV2 kernels are random; its BatchNormalization "
        "statistics emulate pretraining (as_pretrained on inputs preprocessed to [-1, 1]).")
SIZE = 160


def build_model():
    x, _ = _images()
    base = keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), include_top=False, weights=None)
    as_pretrained(base, keras.applications.mobilenet_v2.preprocess_input(x[:64].copy()))
    base.trainable = False

    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.2)])
    inputs = keras.Input(shape=(SIZE, SIZE, 3))
    h = augmentation(inputs)
    h = keras.applications.mobilenet_v2.preprocess_input(h)
    h = base(h, training=False)
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.Dropout(0.2)(h)
    outputs = layers.Dense(1)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0001),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.5, name="accuracy")])
    return model


def _images():
    x, y = invariant_images(96, (SIZE, SIZE, 3), 2)
    return x.astype("float32"), y.astype("int32")  # image_dataset_from_directory: float32 0-255, int32 labels


def data():
    x, y = _images()
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
