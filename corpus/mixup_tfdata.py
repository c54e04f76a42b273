"""MixUp on Fashion-MNIST: two independently shuffled copies of the training set are zipped in tf.data and every
pair of batches is mixed with a Beta(0.2, 0.2) lambda (images and one-hot labels alike), so the model sees soft
labels; a small CNN (two conv/pool stages, dropout 0.2, global average pooling, Dense 128, softmax 10),
categorical cross-entropy, Adam. Input size: 28x28x1 as in the source."""
import keras
import tensorflow as tf
from keras import layers

from corpus._data import class_images, one_hot

SOURCE = ("Keras examples: 'MixUp augmentation for image classification' (keras.io/examples/vision/mixup), "
          "S. Paul, Keras 3 version")
TASK = "classification"
# Fashion-MNIST 60000 training images less 2000 held out for validation; batch 64, 10 epochs
FIT = {"batch_size": 64, "epochs": 10, "samples": 58000}
TRUE = {}
BATCH_SIZE = 64


def build_model():
    model = keras.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(16, (5, 5), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, (5, 5), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling2D(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def _sample_beta(size, concentration_0=0.2, concentration_1=0.2):
    gamma_1 = tf.random.gamma(shape=[size], alpha=concentration_1)
    gamma_2 = tf.random.gamma(shape=[size], alpha=concentration_0)
    return gamma_1 / (gamma_1 + gamma_2)


def _mix_up(ds_one, ds_two, alpha=0.2):
    images_one, labels_one = ds_one
    images_two, labels_two = ds_two
    batch_size = tf.shape(images_one)[0]
    lam = _sample_beta(batch_size, alpha, alpha)
    x_l = tf.reshape(lam, (batch_size, 1, 1, 1))
    y_l = tf.reshape(lam, (batch_size, 1))
    images = images_one * x_l + images_two * (1 - x_l)
    labels = labels_one * y_l + labels_two * (1 - y_l)
    return images, labels


def data():
    x, y = class_images(128, (28, 28, 1), 10)
    x = x.astype("float32") / 255.0  # the source scales to [0, 1]
    y = one_hot(y, 10)  # tf.one_hot(y_train, 10)
    one = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(BATCH_SIZE * 100, seed=1).batch(BATCH_SIZE)
    two = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(BATCH_SIZE * 100, seed=2).batch(BATCH_SIZE)
    return tf.data.Dataset.zip((one, two)).map(lambda a, b: _mix_up(a, b, alpha=0.2))
