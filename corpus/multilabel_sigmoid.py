"""Multi-label tagging of Planet (Amazon rainforest) satellite chips, 17 tags: a VGG-style CNN (three blocks of
two 3x3 he_uniform ReLU convolutions and a max pool, dropout 0.2 after each block), Dense 128 with dropout 0.5,
17 sigmoid units, binary cross-entropy on multi-hot tag vectors, SGD(0.01, momentum 0.9), and the tutorial's
F-beta (beta=2) metric, the competition's score. This is the tutorial's 'baseline + dropout' model.

Images are fed as ImageDataGenerator(rescale=1/255).flow(...) feeds them: float32 in [0, 1], multi-hot uint8 tag
vectors (the saved npz), batches of 128.
Shrunk: 128x128 chips in the source -> 64x64 here (the three pools leave 8x8 maps); the architecture is
unchanged."""
import keras
from keras import layers, ops

from corpus._data import multi_hot

SOURCE = ("J. Brownlee, 'How to Develop a Deep CNN for Multi-Label Classification of Photos' "
          "(machinelearningmastery.com, Planet: Understanding the Amazon from Space), baseline model with dropout")
TASK = "multi-label"
# 40479 labelled chips, 70% for training = 28335; batch 128, 200 epochs for the dropout variant
FIT = {"batch_size": 128, "epochs": 200, "samples": 28335}
TRUE = {}
SIZE = 64
TAGS = 17


def fbeta(y_true, y_pred, beta=2):
    """Mean per-sample F-beta of the rounded predictions (the tutorial's metric)."""
    y_true = ops.cast(y_true, y_pred.dtype)
    y_pred = ops.clip(y_pred, 0, 1)
    tp = ops.sum(ops.round(ops.clip(y_true * y_pred, 0, 1)), axis=1)
    fp = ops.sum(ops.round(ops.clip(y_pred - y_true, 0, 1)), axis=1)
    fn = ops.sum(ops.round(ops.clip(y_true - y_pred, 0, 1)), axis=1)
    eps = keras.config.epsilon()
    p = tp / (tp + fp + eps)
    r = tp / (tp + fn + eps)
    bb = beta ** 2
    return ops.mean((1 + bb) * (p * r) / (bb * p + r + eps))


def _vgg_block(filters):
    conv = dict(activation="relu", kernel_initializer="he_uniform", padding="same")
    return [layers.Conv2D(filters, (3, 3), **conv), layers.Conv2D(filters, (3, 3), **conv),
            layers.MaxPooling2D((2, 2)), layers.Dropout(0.2)]


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(SIZE, SIZE, 3)),
        *_vgg_block(32), *_vgg_block(64), *_vgg_block(128),
        layers.Flatten(),
        layers.Dense(128, activation="relu", kernel_initializer="he_uniform"),
        layers.Dropout(0.5),
        layers.Dense(TAGS, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="binary_crossentropy",
                  metrics=[fbeta])
    return model


def data():
    x, y = multi_hot(128, (SIZE, SIZE, 3), TAGS)  # uint8 chips, one band per present tag
    return x.astype("float32") / 255.0, y.astype("uint8")
