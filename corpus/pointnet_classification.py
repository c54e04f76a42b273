"""PointNet for ModelNet10 classification: two T-Nets (input 3x3 and feature 32x32 transforms, each a small
PointNet whose last Dense starts as the identity and is pulled towards an orthogonal matrix by an activity
regularizer), shared per-point Conv1D(kernel 1) + BatchNorm(momentum 0) + ReLU blocks, a global max pool, a
Dense head with dropout 0.3 and a 10-way softmax.

The source samples 2048 points per mesh (trimesh gives float64) and augments the training set in tf.data
(jitter, point shuffle) before batching by 32: `data()` does the same on synthetic shapes.
Shrunk: 2048 points per cloud in the source -> 1024 here (the global max pools and the per-point convs do not
depend on the count); the architecture is unchanged."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from corpus._data import point_clouds

SOURCE = ("Keras examples: 'Point cloud classification with PointNet' (keras.io/examples/vision/pointnet), "
          "D. Griffiths, Keras 3 version")
TASK = "classification"
# ModelNet10 train split: 3991 meshes; batch 32, 20 epochs
FIT = {"batch_size": 32, "epochs": 20, "samples": 3991}
TRUE = {}
SLOW = True
NUM_POINTS = 1024
NUM_CLASSES = 10


def conv_bn(x, filters):
    x = layers.Conv1D(filters, kernel_size=1, padding="valid")(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


def dense_bn(x, filters):
    x = layers.Dense(filters)(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """l2reg * ||T T^T - I||^2 on the predicted (k, k) transforms."""

    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg
        self.eye = keras.ops.eye(num_features)

    def __call__(self, x):
        x = keras.ops.reshape(x, (-1, self.num_features, self.num_features))
        xxt = keras.ops.tensordot(x, x, axes=(2, 2))
        xxt = keras.ops.reshape(xxt, (-1, self.num_features, self.num_features))
        return keras.ops.sum(self.l2reg * keras.ops.square(xxt - self.eye))

    def get_config(self):
        return {"num_features": self.num_features, "l2reg": self.l2reg}


def tnet(inputs, num_features):
    bias = keras.initializers.Constant(np.eye(num_features).flatten())  # starts as the identity transform
    reg = OrthogonalRegularizer(num_features)
    x = conv_bn(inputs, 32)
    x = conv_bn(x, 64)
    x = conv_bn(x, 512)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 256)
    x = dense_bn(x, 128)
    x = layers.Dense(num_features * num_features, kernel_initializer="zeros", bias_initializer=bias,
                     activity_regularizer=reg)(x)
    feat_t = layers.Reshape((num_features, num_features))(x)
    return layers.Dot(axes=(2, 1))([inputs, feat_t])  # apply the transform to every point


def build_model():
    inputs = keras.Input(shape=(NUM_POINTS, 3))
    x = tnet(inputs, 3)
    x = conv_bn(x, 32)
    x = conv_bn(x, 32)
    x = tnet(x, 32)
    x = conv_bn(x, 32)
    x = conv_bn(x, 64)
    x = conv_bn(x, 512)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 256)
    x = layers.Dropout(0.3)(x)
    x = dense_bn(x, 128)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="pointnet")
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  metrics=["sparse_categorical_accuracy"])
    return model


def _augment(points, label):
    points += tf.random.uniform(points.shape, -0.005, 0.005, dtype=tf.float64)  # jitter
    points = tf.random.shuffle(points)  # point order
    return points, label


def data():
    x, y = point_clouds(128, NUM_POINTS, NUM_CLASSES)
    x = x.astype("float64")  # mesh.sample() gives float64; the source keeps it
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return ds.shuffle(len(x), seed=0).map(_augment).batch(32)
