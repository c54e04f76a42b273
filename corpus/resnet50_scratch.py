"""keras.applications.ResNet50 trained from scratch (weights=None, a 10-class top) on CIFAR-10 images upscaled to
64x64, with keras.applications.resnet50.preprocess_input applied to the data as the applications docs say (caffe
mode: RGB -> BGR, ImageNet channel means subtracted, no scaling); integer labels, sparse categorical
cross-entropy. Optimizer after the ResNet paper's CIFAR-10 recipe: SGD lr 0.1, momentum 0.9, weight decay 1e-4,
batch 128, lr divided by 10 at 32k and 48k iterations, 64k iterations (~164 epochs).
Shrunk: CIFAR's 32x32 upscaled to 64x64 (ResNet50 takes >= 32x32; at 224 the probe is far too slow)."""
import keras
import numpy as np

from corpus._data import class_images

SOURCE = ("keras.applications.ResNet50(weights=None, classes=10) (keras.io/api/applications/resnet), "
          "trained with the CIFAR-10 recipe of He et al., 'Deep Residual Learning for Image Recognition' (2015)")
TASK = "classification"
FIT = {"batch_size": 128, "epochs": 164, "samples": 50000}
TRUE = {}
SLOW = True  # ResNet50 (23.6M params): the probe runs to its time budget on CPU
SIZE = 64


def build_model():
    model = keras.applications.ResNet50(include_top=True, weights=None, classes=10, input_shape=(SIZE, SIZE, 3))
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([32000, 48000], [0.1, 0.01, 0.001])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, weight_decay=1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    x, y = class_images(128, (32, 32, 3), 10)  # uint8, as keras.datasets.cifar10 gives
    x = np.array(keras.ops.image.resize(x.astype("float32"), (SIZE, SIZE)))  # bilinear upscaling, [0, 255]
    return keras.applications.resnet50.preprocess_input(x), y
