"""Seed 000 fixed: the images go through the seed's preprocessing pipeline as a tf.data.Dataset
(float32, resized to 28x28, standardized per image), and the schedule starts at 1e-3 and decays
over the planned run (80 steps: 10 epochs of 8 batches)."""
import tensorflow as tf

from seed000_raw_uint8 import cnn
from synthetic import images


def preprocess(image, label):
    image = tf.image.convert_image_dtype(image, dtype=tf.float32)  # uint8 -> float32 in [0, 1]
    image = tf.image.resize(image, (28, 28))
    image = (image - tf.reduce_mean(image)) / tf.math.reduce_std(image)
    return image, label


def build_model():
    x, y = images(256, size=32, raw=True)
    data = tf.data.Dataset.from_tensor_slices((x, y)).map(preprocess).batch(32)
    return cnn(initial_learning_rate=0.001, decay_steps=40), data
