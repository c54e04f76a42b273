"""Transfer learning guide, end-to-end cats vs. dogs, phase 2: after the top layer is trained (phase 1), the whole
Xception is unfrozen and trained end to end with Adam 1e-5, while the base is still called with training=False
(BatchNorm in inference mode).

build_model() first trains the head as phase 1 does (Adam, from-logits BCE) on the frozen base's pooled features
of the sample, so that fine-tuning starts from a trained head as in the guide.
Shrunk: 150x150 in the guide -> 80x80 here (Xception needs at least 71x71); the architecture is unchanged."""
import keras
import numpy as np

from corpus import transfer_guide_xception as phase1
from corpus._groupb import fit_head

SOURCE = ("Keras guide 'Transfer learning & fine-tuning' (keras.io/guides/transfer_learning), end-to-end "
          "cats vs. dogs example, 'Do a round of fine-tuning of the entire model', F. Chollet")
TASK = "classification"
FIT = {"batch_size": 32, "epochs": 10, "samples": 9305}
TRUE = {}
NOTE = phase1.NOTE
SLOW = True


def build_model():
    model, base = phase1.build_parts()
    x, y = phase1._images()
    features = np.asarray(base.predict(x / 127.5 - 1.0, batch_size=32, verbose=0)).mean(axis=(1, 2))
    fit_head(model.layers[-2:], features, y.astype("float32"), keras.optimizers.Adam(),  # Dropout, Dense(1)
             keras.losses.BinaryCrossentropy(from_logits=True), epochs=60, batch_size=32)

    base.trainable = True  # still run with training=False: BatchNorm statistics are not updated
    model.compile(optimizer=keras.optimizers.Adam(1e-5),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model


def data():
    return phase1.data()
