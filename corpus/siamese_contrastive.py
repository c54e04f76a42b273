"""Siamese network with a contrastive loss on MNIST pairs: one embedding tower shared by both inputs
(BatchNorm on the raw pixels, Conv 4@5x5 tanh, AveragePooling, Conv 16@5x5 tanh, AveragePooling, Flatten,
BatchNorm, Dense 10 tanh), the Euclidean distance between the two embeddings, BatchNorm and a Dense(1, sigmoid);
the source's contrastive loss (margin 1) as a custom function, RMSprop, float 0/1 pair labels (1 = same digit).

The source casts MNIST to float32 without dividing by 255: the first BatchNormalization does the scaling, so the
pairs are fed in [0, 255]. The source's Lambda(euclidean_distance) is a Layer subclass here. Input size: 28x28x1
as in the source."""
import keras
from keras import layers, ops

from corpus._groupd import digit_pairs

SOURCE = ("Keras examples: 'Image similarity estimation using a Siamese Network with a contrastive loss' "
          "(keras.io/examples/vision/siamese_contrastive), Mehdi")
TASK = "similarity"
# 30000 training digits, each in one matching and one non-matching pair = 60000 pairs; batch 16, 10 epochs
FIT = {"batch_size": 16, "epochs": 10, "samples": 60000}
TRUE = {}
MARGIN = 1


class EuclideanDistance(layers.Layer):
    """sqrt(max(sum((a - b)^2), epsilon)) per pair, keeping a trailing axis of 1."""

    def call(self, inputs):
        a, b = inputs
        sum_square = ops.sum(ops.square(a - b), axis=1, keepdims=True)
        return ops.sqrt(ops.maximum(sum_square, keras.config.epsilon()))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)


def loss(margin=1):
    def contrastive_loss(y_true, y_pred):
        square_pred = ops.square(y_pred)
        margin_square = ops.square(ops.maximum(margin - y_pred, 0))
        return ops.mean((1 - y_true) * square_pred + y_true * margin_square)

    return contrastive_loss


def build_model():
    inp = layers.Input((28, 28, 1))
    x = layers.BatchNormalization()(inp)
    x = layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(inp, x)

    input_1 = layers.Input((28, 28, 1))
    input_2 = layers.Input((28, 28, 1))
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)
    merge_layer = EuclideanDistance()([tower_1, tower_2])
    normal_layer = layers.BatchNormalization()(merge_layer)
    output_layer = layers.Dense(1, activation="sigmoid")(normal_layer)
    siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)
    siamese.compile(loss=loss(margin=MARGIN), optimizer="RMSprop", metrics=["accuracy"])
    return siamese


def data():
    x1, x2, y = digit_pairs(128)
    return [x1, x2], y
