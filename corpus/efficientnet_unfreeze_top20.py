"""Fine-tuning EfficientNet example, fine-tuning step: after the head is trained, the last 20 layers of the model
(the head and the top of EfficientNetB0) are unfrozen except BatchNormalization layers, which stay frozen, and
the model is recompiled with Adam 1e-5.

build_model() first trains the head as the transfer step does (Adam 1e-2, categorical CE) on the frozen base's
pooled features of the (augmented) sample, so that fine-tuning starts from a trained head as in the source.

Shrunk: 224x224 in the source -> 128x128 here; the sample uses 8 of the 120 breeds (the output stays 120)."""
import keras
import numpy as np
from keras import layers

from corpus import efficientnet_head_lr_1e2 as step1
from corpus._groupb import fit_head

SOURCE = ("Keras examples: 'Image classification via fine-tuning with EfficientNet' "
          "(keras.io/examples/vision/image_classification_efficientnet_fine_tuning), Yixing Fu, "
          "unfreeze_model(model) (layers_to_unfreeze=20, learning_rate=1e-5)")
TASK = "classification"
FIT = {"batch_size": 64, "epochs": 4, "samples": 12000}
TRUE = {}
NOTE = step1.NOTE
SLOW = True


def build_model():
    model = step1.build_parts()
    x, y = step1.data()
    pooled = keras.Model(model.input, model.get_layer("avg_pool").output)
    features = np.asarray(pooled.predict(x, batch_size=64, verbose=0))
    fit_head(model.layers[-3:], features, y, keras.optimizers.Adam(learning_rate=1e-2),  # BN, Dropout, Dense
             "categorical_crossentropy", epochs=25, batch_size=64)

    for layer in model.layers[-20:]:
        if not isinstance(layer, layers.BatchNormalization):  # BatchNorm stays frozen
            layer.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-5), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def data():
    return step1.data()
