"""DeepLabV3+ for multi-class human-part segmentation (CIHP, 20 classes): ResNet50 backbone (ImageNet weights
in the example) with resnet50.preprocess_input inside the model, dilated spatial pyramid pooling (image pooling
+ 1x1 + 3x3 dilations 6/12/18, each Conv2D(He normal)-BN-ReLU) on conv4_block6_2_relu, bilinear UpSampling2D,
a decoder fusing conv2_block3_2_relu low-level features, and a 1x1 Conv2D of logits; sparse categorical
cross-entropy from logits, Adam 1e-3.

Shrunk: 512x512 in the example -> 64x64 here (ASPP runs on a 4x4 map instead of 32x32, so its dilated 3x3
taps beyond the centre read padding; the decoder runs at 16x16); every layer is the example's."""
import keras
import tensorflow as tf
from keras import layers, ops

from corpus._data import segmentation
from corpus._weights import as_pretrained

SOURCE = ("Keras examples: 'Multiclass semantic segmentation using DeepLabV3+' "
          "(keras.io/examples/vision/deeplabv3_plus), S. Rakshit; Keras 3 version")
TASK = "segmentation"
# NUM_TRAIN_IMAGES = 1000 CIHP images, BATCH_SIZE = 4 (drop_remainder), 25 epochs
FIT = {"batch_size": 4, "epochs": 25, "samples": 1000}
TRUE = {
    "CNN305": "the whole ResNet50 is fine-tuned with its 51 BatchNormalization layers in training mode on batches of 4; "
              "DeepLabv3 (Chen et al. 2017, sec. 4.1) trains BN only at batch 16 and freezes it for smaller batches",
}
SLOW = True  # ResNet50: the probe runs into its 60 s budget on 2 CPU cores
NOTE = ("weights=None instead of 'imagenet': the ResNet50 kernels are random; its BatchNormalization statistics "
        "emulate pretraining (as_pretrained on raw 0-255 images, which the model's own preprocess_input turns "
        "into caffe-style BGR minus the ImageNet means).")
IMAGE_SIZE = 64
NUM_CLASSES = 20


def convolution_block(block_input, num_filters=256, kernel_size=3, dilation_rate=1, use_bias=False):
    x = layers.Conv2D(num_filters, kernel_size=kernel_size, dilation_rate=dilation_rate, padding="same",
                      use_bias=use_bias, kernel_initializer=keras.initializers.HeNormal())(block_input)
    x = layers.BatchNormalization()(x)
    return ops.nn.relu(x)


def dilated_spatial_pyramid_pooling(dspp_input):
    dims = dspp_input.shape
    x = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(dspp_input)  # image pooling
    x = convolution_block(x, kernel_size=1, use_bias=True)
    out_pool = layers.UpSampling2D(size=(dims[-3] // x.shape[1], dims[-2] // x.shape[2]),
                                   interpolation="bilinear")(x)
    out_1 = convolution_block(dspp_input, kernel_size=1, dilation_rate=1)
    out_6 = convolution_block(dspp_input, kernel_size=3, dilation_rate=6)
    out_12 = convolution_block(dspp_input, kernel_size=3, dilation_rate=12)
    out_18 = convolution_block(dspp_input, kernel_size=3, dilation_rate=18)
    x = layers.Concatenate(axis=-1)([out_pool, out_1, out_6, out_12, out_18])
    return convolution_block(x, kernel_size=1)


def deeplab_v3_plus(image_size, num_classes, x_raw):
    model_input = keras.Input(shape=(image_size, image_size, 3))
    preprocessed = keras.applications.resnet50.preprocess_input(model_input)
    resnet50 = keras.applications.ResNet50(weights=None, include_top=False, input_tensor=preprocessed)
    as_pretrained(resnet50, x_raw)  # its input is model_input: it preprocesses the raw images itself
    x = resnet50.get_layer("conv4_block6_2_relu").output
    x = dilated_spatial_pyramid_pooling(x)
    input_a = layers.UpSampling2D(size=(image_size // 4 // x.shape[1], image_size // 4 // x.shape[2]),
                                  interpolation="bilinear")(x)
    input_b = resnet50.get_layer("conv2_block3_2_relu").output
    input_b = convolution_block(input_b, num_filters=48, kernel_size=1)
    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = convolution_block(x)
    x = convolution_block(x)
    x = layers.UpSampling2D(size=(image_size // x.shape[1], image_size // x.shape[2]), interpolation="bilinear")(x)
    model_output = layers.Conv2D(num_classes, kernel_size=(1, 1), padding="same")(x)
    return keras.Model(inputs=model_input, outputs=model_output)


def build_model():
    x, _ = _samples()
    model = deeplab_v3_plus(IMAGE_SIZE, NUM_CLASSES, x[:32])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def _samples():
    # decode_png + tf_image.resize: images float32 0-255; masks (category ids, 0 = background) resized the same
    # bilinear way: float32 (h, w, 1)
    x, mask = segmentation(64, (IMAGE_SIZE, IMAGE_SIZE, 3), NUM_CLASSES)
    return x.astype("float32"), mask.astype("float32")


def data():
    x, mask = _samples()
    return tf.data.Dataset.from_tensor_slices((x, mask)).batch(4, drop_remainder=True)
