"""The TensorFlow data augmentation tutorial's model, trained with its 'option 2': the preprocessing layers run in
the tf.data pipeline, not in the model. Every image is resized to 180x180 and rescaled to [0, 1]
(`ds.map(resize_and_rescale)`), shuffled and batched by 32, then the training batches are augmented
(`ds.map(data_augmentation)`: RandomFlip('horizontal_and_vertical'), RandomRotation(0.2)). The model itself is
a plain CNN with no regularization layer (three conv/pool stages, Dense 128, 5 logits), Adam and sparse
cross-entropy from logits, 5 epochs. Input size: 180x180x3 as in the tutorial."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import class_images

SOURCE = ("TensorFlow tutorials: 'Data augmentation' (tensorflow.org/tutorials/images/data_augmentation), "
          "option 2 (apply the preprocessing layers to the dataset) and 'Train a model'")
TASK = "classification"
# tf_flowers train[:80%] = 2936 images, batch 32, 5 epochs
FIT = {"batch_size": 32, "epochs": 5, "samples": 2936}
TRUE = {}
IMG_SIZE = 180
NUM_CLASSES = 5

def build_model():
    model = keras.Sequential([
        keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(NUM_CLASSES),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def data():
    # tfds tf_flowers decodes to uint8 images of varying size; 200x200 stands in for them here
    x, y = class_images(128, (200, 200, 3), NUM_CLASSES)
    resize_and_rescale = keras.Sequential([layers.Resizing(IMG_SIZE, IMG_SIZE), layers.Rescaling(1.0 / 255)])
    data_augmentation = keras.Sequential([layers.RandomFlip("horizontal_and_vertical"), layers.RandomRotation(0.2)])
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.map(lambda img, label: (resize_and_rescale(img), label))
    ds = ds.shuffle(1000, seed=0).batch(32)
    return ds.map(lambda img, label: (data_augmentation(img, training=True), label))
