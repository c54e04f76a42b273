"""Fine-tuning EfficientNet example, transfer-learning step: a frozen EfficientNetB0 (built on the model's Input)
under a new head (GAP, BatchNorm, Dropout 0.2, softmax over the 120 Stanford Dogs breeds), trained with Adam 1e-2.
Images are fed in [0, 255]: EfficientNet rescales and normalizes inside. Augmentation (rotation, translation,
flip, contrast) runs in the data pipeline (the PyDataset), so data() applies it to the sample.

Shrunk: 224x224 in the source -> 128x128 here; the sample uses 8 of the 120 breeds (the output stays 120)."""
import keras
import numpy as np
from keras import layers

from corpus._data import one_hot
from corpus._groupb import invariant_images
from corpus._weights import as_pretrained

SOURCE = ("Keras examples: 'Image classification via fine-tuning with EfficientNet' "
          "(keras.io/examples/vision/image_classification_efficientnet_fine_tuning), Yixing Fu, "
          "'Transfer learning from pretrained weights'")
TASK = "classification"
# Stanford Dogs: 12,000 training images, batches of 64 (drop_remainder), 25 epochs for the head
FIT = {"batch_size": 64, "epochs": 25, "samples": 12000}
TRUE = {}
SLOW = True
NOTE = ("weights=None instead of 'imagenet': the EfficientNetB0 kernels are random; its BatchNormalization "
        "statistics emulate pretraining (as_pretrained on [0, 255] images), and its input Normalization is given "
        "the ImageNet mean/variance that the pretrained weights carry (weights=None leaves it at 0/1).")
SIZE, CLASSES, SAMPLE_CLASSES = 128, 120, 8
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _imagenet_normalization(base):
    """The pretrained file sets the stem Normalization to the ImageNet mean and (stddev) variance followed by a
    1/sqrt(stddev) Rescaling; the net effect is (x/255 - mean) / std, which is what this sets."""
    norm = next(lay for lay in base.layers if isinstance(lay, layers.Normalization))
    norm.adapt_mean.assign(np.asarray(IMAGENET_MEAN, "float32"))
    norm.adapt_variance.assign(np.asarray(IMAGENET_STD, "float32") ** 2)
    norm.finalize_state()


def build_parts():
    """(model, n): the source's build_model(num_classes=120), uncompiled."""
    inputs = layers.Input(shape=(SIZE, SIZE, 3))
    base = keras.applications.EfficientNetB0(include_top=False, input_tensor=inputs, weights=None)
    _imagenet_normalization(base)
    as_pretrained(base, _raw()[0][:64])
    base.trainable = False  # freeze the pretrained weights

    x = layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.2, name="top_dropout")(x)
    outputs = layers.Dense(CLASSES, activation="softmax", name="pred")(x)
    return keras.Model(inputs, outputs, name="EfficientNet")


def build_model():
    model = build_parts()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _raw():
    x, y = invariant_images(128, (SIZE, SIZE, 3), SAMPLE_CLASSES)
    return x.astype("float32"), y  # keras.ops.image.resize of the decoded images: float32 in [0, 255]


def _augment(x):
    augmentation = [
        layers.RandomRotation(factor=0.15, seed=1),
        layers.RandomTranslation(height_factor=0.1, width_factor=0.1, seed=2),
        layers.RandomFlip(seed=3),
        layers.RandomContrast(factor=0.1, seed=4),
    ]
    for layer in augmentation:
        x = layer(x)
    return np.asarray(x, dtype="float32")


def data():
    x, y = _raw()
    return _augment(x), one_hot(y, CLASSES)  # the training PyDataset augments and one-hot encodes (120 classes)
