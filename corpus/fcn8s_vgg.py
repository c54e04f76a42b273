"""FCN-8s (Long et al., 'Fully Convolutional Networks for Semantic Segmentation') as the Keras example builds it:
a frozen VGG19 backbone read at pool3/pool4/pool5, fc6/fc7 turned into frozen 7x7 and 1x1 convolutions (4096
filters, dropout 0.5) that carry VGG's fc1/fc2 weights, a 1x1 class-score layer, 1x1 score layers on pool4 and
pool3 ZERO-initialized (as the paper's Caffe code), each fused with Add after a 2x bilinear UpSampling2D, a 1x1
softmax and a final 8x bilinear upsampling; mixed precision; AdamW; sparse categorical cross-entropy on the
tfds masks (values 1, 2, 3 of NUM_CLASSES = 4).

Shrunk: 224x224 in the example -> 64x64 here (FCN needs a multiple of 32: pool5 is 2x2 instead of 7x7); the
backbone is VGG19(include_top=False) at that size, since include_top=True pins the input to 224x224."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from corpus._data import segmentation

SOURCE = ("Keras examples: 'Image Segmentation using Composable Fully-Convolutional Networks' "
          "(keras.io/examples/vision/fully_convolutional_network), S. Mukherjee; FCN-8S variant; "
          "reference design: Long, Shelhamer & Darrell, CVPR 2015")
TASK = "segmentation"
# oxford_iiit_pet train[:85%] = 3128 images, batched 32 by tfds.load, 20 epochs
FIT = {"batch_size": 32, "epochs": 20, "samples": 3128}
TRUE = {}
SLOW = True  # the probe takes ~70-80 s on 2 CPU cores (mixed_float16 on CPU, 140M frozen parameters)
NOTE = ("weights=None instead of 'imagenet': the VGG19 kernels (and the fc1/fc2 weights copied into the fc6/fc7 "
        "convolutions, drawn as a fresh Dense layer's Glorot init) are random. VGG has no BatchNormalization, so "
        "as_pretrained has nothing to set: pretraining cannot be emulated for this backbone.")
SIZE = 64
NUM_CLASSES = 4


def _fc_weights(rng, fan_in, fan_out, shape):
    """What keras.applications.VGG19(weights=None) holds in fc1/fc2: a Dense kernel, Glorot-uniform."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype("float32").reshape(shape)


def build_model():
    keras.mixed_precision.set_global_policy("mixed_float16")  # the example's MIXED_PRECISION = True
    input_layer = keras.Input(shape=(SIZE, SIZE, 3))
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    backbone = keras.Model(vgg.input, [vgg.get_layer(n).output for n in ("block3_pool", "block4_pool", "block5_pool")])
    backbone.trainable = False
    pool3_out, pool4_out, pool5_out = backbone(input_layer)

    dense_convs = keras.Sequential([
        layers.Conv2D(4096, 7, activation="relu", padding="same", use_bias=False,
                      kernel_initializer=keras.initializers.Constant(1.0)),
        layers.Dropout(0.5),
        layers.Conv2D(4096, 1, activation="relu", padding="same", use_bias=False,
                      kernel_initializer=keras.initializers.Constant(1.0)),
        layers.Dropout(0.5),
    ])
    dense_convs.trainable = False
    pool5_out = dense_convs(pool5_out)
    # the example overwrites the constant kernels with VGG's fc1/fc2 weights, reshaped
    rng = np.random.default_rng(0)
    dense_convs.layers[0].set_weights([_fc_weights(rng, 7 * 7 * 512, 4096, (7, 7, 512, 4096))])
    dense_convs.layers[2].set_weights([_fc_weights(rng, 4096, 4096, (1, 1, 4096, 4096))])

    score_fr = layers.Conv2D(NUM_CLASSES, 1, padding="same", activation="relu")(pool5_out)  # shared with FCN-32S
    score_pool4 = layers.Conv2D(NUM_CLASSES, 1, padding="same", activation="linear",
                                kernel_initializer=keras.initializers.Zeros())(pool4_out)
    up5 = layers.UpSampling2D(2, interpolation="bilinear")(score_fr)
    fuse4 = layers.Add()([score_pool4, up5])  # FCN-16S
    score_pool3 = layers.Conv2D(NUM_CLASSES, 1, padding="same", activation="linear",
                                kernel_initializer=keras.initializers.Zeros())(pool3_out)
    up4 = layers.UpSampling2D(2, interpolation="bilinear")(fuse4)
    fuse3 = layers.Add()([score_pool3, up4])  # FCN-8S
    scores = layers.Conv2D(NUM_CLASSES, 1, activation="softmax", padding="same")(fuse3)
    outputs = layers.UpSampling2D(8, interpolation="bilinear")(scores)
    model = keras.Model(input_layer, outputs)

    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.MeanIoU(num_classes=NUM_CLASSES, sparse_y_pred=False),
                           keras.metrics.SparseCategoricalAccuracy()])
    keras.mixed_precision.set_global_policy("float32")
    return model


def data():
    # tfds images uint8 -> keras.layers.Resizing: float32 0-255 -> vgg19.preprocess_input (BGR, ImageNet means
    # subtracted) in the pipeline; masks through the same Resizing: float32 (h, w, 1), trimap values 1, 2, 3
    x, mask = segmentation(64, (SIZE, SIZE, 3), 3)
    trimap = mask.choose([2, 1, 3]).astype("float32")  # 1 pet, 2 background, 3 border; class 0 never occurs
    x = keras.applications.vgg19.preprocess_input(x.astype("float32"))
    return tf.data.Dataset.from_tensor_slices((x, trimap)).batch(32)
