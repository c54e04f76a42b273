"""The Keras mixed precision guide's model: under the global 'mixed_float16' policy, two Dense(4096, relu) layers
on flattened MNIST, Dense(10) logits, and a separate Activation('softmax', dtype='float32') so the outputs are
float32; RMSprop, sparse categorical cross-entropy (compile wraps the optimizer in a LossScaleOptimizer).
The guide uses 4096 units on a GPU and 64 on a CPU, only so that the CPU run finishes; this module keeps the
GPU configuration the guide is written for. The global policy is set back to float32 once the model is built."""
import keras
from keras import layers

from corpus._groupd import digits

SOURCE = ("Keras / TensorFlow guide 'Mixed precision' (keras.io/guides/mixed_precision, "
          "tensorflow.org/guide/mixed_precision)")
TASK = "classification"
# MNIST 60000 training images; batch 8192, 5 epochs, validation_split 0.2
FIT = {"batch_size": 8192, "epochs": 5, "validation_split": 0.2, "samples": 60000}
TRUE = {
    "CNN308": "the guide's plan is 5 epochs at batch 8192 = 30 RMSprop updates: a throughput demo that stops far "
              "from convergence, as the warning says",
    "CNN204": "two 4096-unit Dense layers (20M parameters) on 60k MNIST digits with no dropout, penalty or "
              "normalization: the guide's model would memorize if trained to convergence (it only times steps)",
}
NUM_UNITS = 4096


def build_model():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        inputs = keras.Input(shape=(784,), name="digits")
        x = layers.Dense(NUM_UNITS, activation="relu", name="dense_1")(inputs)
        x = layers.Dense(NUM_UNITS, activation="relu", name="dense_2")(x)
        x = layers.Dense(10, name="dense_logits")(x)
        outputs = layers.Activation("softmax", dtype="float32", name="predictions")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.RMSprop(),
                      metrics=["accuracy"])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return model


def data():
    x, y = digits(128)
    return x.reshape(len(x), 784), y  # x_train.reshape(60000, 784).astype("float32") / 255; integer labels
