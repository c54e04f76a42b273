"""SRResNet, the SRGAN generator (Ledig et al. 2017, fig. 4) trained alone with the MSE loss: a 9x9/64 conv +
PReLU, B = 16 residual blocks (3x3/64 conv, BatchNormalization, PReLU, 3x3/64 conv, BatchNormalization,
elementwise sum), a 3x3/64 conv + BatchNormalization summed with the first block's output, two sub-pixel
upsampling blocks (3x3/256 conv, pixel shuffle x2, PReLU) and a 9x9/3 conv; LR inputs in [0, 1], HR targets
in [-1, 1] as the paper scales them, so the output is tanh. Adam(1e-4, beta_1=0.9), MSE, batches of 16.
PReLU is per channel (shared over the spatial axes) with He et al.'s 0.25 start.

Shrunk: the paper crops 96x96 HR (24x24 LR) patches; the data here is 32x32 HR from 8x8 LR. The model
takes any size (None, None, 3)."""
import keras
from keras import layers

from corpus._groupc import DepthToSpace, area_downsample, natural_images

SOURCE = ("Reference design: Ledig et al., 'Photo-Realistic Single Image Super-Resolution Using a Generative "
          "Adversarial Network', CVPR 2017 (SRResNet, the generator of SRGAN, MSE-trained)")
TASK = "super-resolution"
# 350 thousand ImageNet images, minibatches of 16 random 96x96 HR crops, 10^6 updates (~46 epochs)
FIT = {"batch_size": 16, "epochs": 46, "samples": 350000}
TRUE = {}
SLOW = True  # a regression batch rarely reaches 1% of its first loss: the probe runs its 60 s budget
HR_CROP, SCALE, B = 32, 4, 16


def _prelu():
    return layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2])


def residual_block(inputs):
    x = layers.Conv2D(64, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = _prelu()(x)
    x = layers.Conv2D(64, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    return layers.Add()([inputs, x])


def upsample_block(inputs):
    x = layers.Conv2D(256, 3, padding="same")(inputs)
    x = DepthToSpace(2)(x)
    return _prelu()(x)


def build_model():
    lr = keras.Input(shape=(None, None, 3))
    x = first = _prelu()(layers.Conv2D(64, 9, padding="same")(lr))
    for _ in range(B):
        x = residual_block(x)
    x = layers.BatchNormalization()(layers.Conv2D(64, 3, padding="same")(x))
    x = layers.Add()([first, x])
    x = upsample_block(upsample_block(x))
    sr = layers.Conv2D(3, 9, padding="same", activation="tanh")(x)
    model = keras.Model(lr, sr, name="srresnet")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.9), loss="mse")
    return model


def data():
    # bicubic-downsampled LR crops scaled to [0, 1]; HR crops scaled to [-1, 1]
    hr = natural_images(96, HR_CROP, seed=0)
    lr = area_downsample(hr, SCALE)
    return lr.astype("float32"), (hr * 2 - 1).astype("float32")
