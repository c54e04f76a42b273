"""PointNet part segmentation (ShapeNet 'Airplane'): input and feature (128x128) T-Nets, per-point Conv1D +
BatchNorm + ReLU features, a 2048-wide global max-pooled feature tiled back to every point and concatenated with
the local features, then a per-point Conv1D(128) block and a per-point softmax over 5 part classes (4 parts +
'none'); categorical cross-entropy on one-hot per-point labels.

The source's tf.data pipeline: float64 points and one-hot labels, shuffle, batch 32, then jitter on the batched
points. The OrthogonalRegularizer is the source's: its tensordot pairs every transform of the batch with every
other, so the penalty is not zero at the identity start (about 4 on a batch of 16) and stays in the loss. Its LR
schedule (halve every 15 epochs) is a LearningRateScheduler callback, which compile() does not
carry.
Shrunk: 1024 points per cloud in the source -> 128 here (the global MaxPool1D pools over all points and the tile
repeats over all points, so the architecture is unchanged)."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from corpus._groupd import airplane_parts

SOURCE = ("Keras examples: 'Point cloud segmentation with PointNet' "
          "(keras.io/examples/vision/pointnet_segmentation), S. Rakshit and S. Paul, Keras 3 version")
TASK = "segmentation"
# 3694 labelled airplanes, 80% for training = 2955; batch 32, 60 epochs
FIT = {"batch_size": 32, "epochs": 60, "samples": 2955}
TRUE = {}
SLOW = True
NUM_POINTS = 128
NUM_CLASSES = 5


def conv_block(x, filters, name):
    x = layers.Conv1D(filters, kernel_size=1, padding="valid", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_batch_norm")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def mlp_block(x, filters, name):
    x = layers.Dense(filters, name=f"{name}_dense")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_batch_norm")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


class OrthogonalRegularizer(keras.regularizers.Regularizer):
    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg
        self.identity = keras.ops.eye(num_features)

    def __call__(self, x):
        x = keras.ops.reshape(x, (-1, self.num_features, self.num_features))
        xxt = keras.ops.tensordot(x, x, axes=(2, 2))
        xxt = keras.ops.reshape(xxt, (-1, self.num_features, self.num_features))
        return keras.ops.sum(self.l2reg * keras.ops.square(xxt - self.identity))

    def get_config(self):
        return {"num_features": self.num_features, "l2reg": self.l2reg}


def transformation_net(inputs, num_features, name):
    x = conv_block(inputs, filters=64, name=f"{name}_1")
    x = conv_block(x, filters=128, name=f"{name}_2")
    x = conv_block(x, filters=1024, name=f"{name}_3")
    x = layers.GlobalMaxPooling1D()(x)
    x = mlp_block(x, filters=512, name=f"{name}_1_1")
    x = mlp_block(x, filters=256, name=f"{name}_2_1")
    return layers.Dense(num_features * num_features, kernel_initializer="zeros",
                        bias_initializer=keras.initializers.Constant(np.eye(num_features).flatten()),
                        activity_regularizer=OrthogonalRegularizer(num_features), name=f"{name}_final")(x)


def transformation_block(inputs, num_features, name):
    transformed = transformation_net(inputs, num_features, name=name)
    transformed = layers.Reshape((num_features, num_features))(transformed)
    return layers.Dot(axes=(2, 1), name=f"{name}_mm")([inputs, transformed])


def build_model():
    input_points = keras.Input(shape=(None, 3))
    transformed_inputs = transformation_block(input_points, num_features=3, name="input_transformation_block")
    features_64 = conv_block(transformed_inputs, filters=64, name="features_64")
    features_128_1 = conv_block(features_64, filters=128, name="features_128_1")
    features_128_2 = conv_block(features_128_1, filters=128, name="features_128_2")
    transformed_features = transformation_block(features_128_2, num_features=128, name="transformed_features")
    features_512 = conv_block(transformed_features, filters=512, name="features_512")
    features_2048 = conv_block(features_512, filters=2048, name="pre_maxpool_block")
    global_features = layers.MaxPool1D(pool_size=NUM_POINTS, name="global_features")(features_2048)
    global_features = keras.ops.tile(global_features, [1, NUM_POINTS, 1])
    segmentation_input = layers.Concatenate(name="segmentation_input")(
        [features_64, features_128_1, features_128_2, transformed_features, features_512, global_features])
    segmentation_features = conv_block(segmentation_input, filters=128, name="segmentation_features")
    outputs = layers.Conv1D(NUM_CLASSES, kernel_size=1, activation="softmax",
                            name="segmentation_head")(segmentation_features)
    model = keras.Model(input_points, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.CategoricalCrossentropy(), metrics=["accuracy"])
    return model


def _load(points, labels):
    points.set_shape([NUM_POINTS, 3])
    labels.set_shape([NUM_POINTS, NUM_CLASSES])
    return points, labels


def _augment(points, labels):
    noise = tf.random.uniform(tf.shape(labels), -0.005, 0.005, dtype=tf.float64)
    return points + noise[:, :, :3], labels


def data():
    x, y = airplane_parts(96, NUM_POINTS)  # float64 points, float64 one-hot per point, as the source's dataset
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(32 * 100, seed=0)
    return ds.map(_load).batch(32).map(_augment)
