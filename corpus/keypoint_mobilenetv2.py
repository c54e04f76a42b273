"""Keypoint detection with transfer learning (StanfordExtra dogs): a frozen MobileNetV2 with preprocess_input
inside the model, Dropout and two valid SeparableConv2D layers (kernel 5 then 3) that turn the 7x7 feature map
into a 1x1x48 sigmoid output (24 keypoints x (x, y), scaled to [0, 1]), MSE, Adam 1e-4.

Input at the source's 224x224 (not shrunk): the 1x1 output needs the 7x7 backbone map (input >= 193)."""
import keras
import numpy as np
from keras import layers

from corpus._weights import as_pretrained

SOURCE = ("Keras examples: 'Keypoint Detection with Transfer Learning' "
          "(keras.io/examples/vision/keypoint_detection), Sayak Paul")
TASK = "keypoints"
# StanfordExtra: 12,000 images, 85% for training; BATCH_SIZE 64, EPOCHS 5
FIT = {"batch_size": 64, "epochs": 5, "samples": 10200}
TRUE = {}
SLOW = True
NOTE = ("weights=None instead of 'imagenet': the MobileNetV2 kernels are random; its BatchNormalization "
        "statistics emulate pretraining (as_pretrained on inputs preprocessed to [-1, 1]).")
IMG_SIZE, NUM_KEYPOINTS = 224, 24 * 2


def build_model():
    x, _ = data()
    backbone = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(IMG_SIZE, IMG_SIZE, 3))
    as_pretrained(backbone, keras.applications.mobilenet_v2.preprocess_input(x[:64].astype("float32")))
    backbone.trainable = False

    inputs = layers.Input((IMG_SIZE, IMG_SIZE, 3))
    h = keras.applications.mobilenet_v2.preprocess_input(inputs)
    h = backbone(h)
    h = layers.Dropout(0.3)(h)
    h = layers.SeparableConv2D(NUM_KEYPOINTS, kernel_size=5, strides=1, activation="relu")(h)
    outputs = layers.SeparableConv2D(NUM_KEYPOINTS, kernel_size=3, strides=1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs, name="keypoint_detector")
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(1e-4))
    return model


def data():
    """Images as the source's Sequence gives them (int array, 0-255) and keypoints of shape (n, 1, 1, 48) in
    [0, 1]. As in StanfordExtra, some joints are unlabeled: their (x, y) are 0 (nan_to_num of [0, 0, 0])."""
    rng = np.random.default_rng(0)
    n, h = 96, IMG_SIZE
    img = rng.normal(0.3, 0.1, (n, h, h, 3))
    coords = rng.uniform(0.15, 0.85, (n, NUM_KEYPOINTS // 2, 2))
    labeled = rng.random((n, NUM_KEYPOINTS // 2)) < 0.6
    rows, cols = np.mgrid[0:h, 0:h]
    for i in range(n):
        for p in np.flatnonzero(labeled[i]):
            cx, cy = coords[i, p] * h
            img[i][(rows - cy) ** 2 + (cols - cx) ** 2 < (0.03 * h) ** 2] = 0.5 + 0.5 * (p % 3 == np.arange(3))
    coords[~labeled] = 0.0
    x = (np.clip(img, 0, 1) * 255).astype("int64")  # np.empty(..., dtype="int")
    y = coords.reshape(n, 1, 1, NUM_KEYPOINTS).astype("float32")
    return x, y
