"""EDSR baseline (Lim et al. 2017) as the Keras example builds it: Rescaling(1/255) inside the model, a 3x3 head
conv, 16 residual blocks of two 3x3/64 convs without BatchNormalization (ReLU only between them), a global skip,
x4 upsampling by two conv + pixel-shuffle (depth_to_space, here a layer) stages, a 3x3 RGB conv and
Rescaling(255) back to the uint8 range; an `EDSRModel` subclass with its own train_step (and predict_step);
MAE (L1) loss, Adam with PiecewiseConstantDecay([5000], [1e-4, 5e-5]), a PSNR metric.

Shrunk: the example's random crops are 24x24 -> 96x96 (DIV2K bicubic x4); the data here is 12x12 -> 48x48
crops. The model takes any size (None, None, 3), as the example's."""
import keras
import tensorflow as tf
from keras import layers

from corpus._groupc import DepthToSpace, area_downsample, natural_images

SOURCE = ("Keras examples: 'Enhanced Deep Residual Networks for single-image super-resolution' "
          "(keras.io/examples/vision/edsr), G. Chawda; reference design: Lim et al., CVPRW 2017")
TASK = "super-resolution"
# DIV2K: 800 training images, random crops batched 16, repeated; 100 epochs of 200 steps
FIT = {"batch_size": 16, "epochs": 100, "samples": 800, "steps_per_epoch": 200}
TRUE = {}
HR_CROP, SCALE = 48, 4  # the example's hr_crop_size is 96


class EDSRModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)  # the loss configured in compile()
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def predict_step(self, x):
        # one low-resolution image in, one uint8 super-resolved image out (the example calls it directly)
        x = tf.cast(tf.expand_dims(x, axis=0), tf.float32)
        super_resolution_img = tf.round(tf.clip_by_value(self(x, training=False), 0, 255))
        return tf.squeeze(tf.cast(super_resolution_img, tf.uint8), axis=0)


def res_block(inputs):
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(64, 3, padding="same")(x)
    return layers.Add()([inputs, x])


def upsampling(inputs, factor=2, **kwargs):
    x = layers.Conv2D(64 * (factor ** 2), 3, padding="same", **kwargs)(inputs)
    x = DepthToSpace(factor)(x)
    x = layers.Conv2D(64 * (factor ** 2), 3, padding="same", **kwargs)(x)
    return DepthToSpace(factor)(x)


def make_model(num_filters, num_of_residual_blocks):
    input_layer = layers.Input(shape=(None, None, 3))
    x = layers.Rescaling(scale=1.0 / 255)(input_layer)
    x = x_new = layers.Conv2D(num_filters, 3, padding="same")(x)
    for _ in range(num_of_residual_blocks):
        x_new = res_block(x_new)
    x_new = layers.Conv2D(num_filters, 3, padding="same")(x_new)
    x = layers.Add()([x, x_new])
    x = upsampling(x)
    x = layers.Conv2D(3, 3, padding="same")(x)
    output_layer = layers.Rescaling(scale=255)(x)
    return EDSRModel(input_layer, output_layer)


def PSNR(super_resolution, high_resolution):
    """Peak signal-to-noise ratio of the first image of the batch, pixels up to 255 (as the example)."""
    return tf.image.psnr(high_resolution, super_resolution, max_val=255)[0]


def build_model():
    model = make_model(num_filters=64, num_of_residual_blocks=16)
    optim_edsr = keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[5000], values=[1e-4, 5e-5]))
    model.compile(optimizer=optim_edsr, loss="mae", metrics=[PSNR])
    return model


def data():
    # tfds div2k/bicubic_x4 pairs: uint8 LR and HR, random-cropped, rotated by k*90 degrees and flipped,
    # batched 16; the example's training set also repeats forever (omitted: the sample stays finite)
    hr = natural_images(64, HR_CROP, seed=0)
    lr = area_downsample(hr, SCALE)
    hr, lr = (hr * 255).round().astype("uint8"), (lr * 255).round().astype("uint8")
    ds = tf.data.Dataset.from_tensor_slices((lr, hr))
    return ds.map(random_rotate).map(flip_left_right).batch(16)


def random_rotate(lowres_img, highres_img):
    """The example's augmentation: the pair rotated by the same random multiple of 90 degrees."""
    k = tf.random.uniform(shape=(), maxval=4, dtype=tf.int32)
    return tf.image.rot90(lowres_img, k), tf.image.rot90(highres_img, k)


def flip_left_right(lowres_img, highres_img):
    """The example's augmentation: the pair flipped left-right half of the time."""
    flip = tf.random.uniform(shape=()) < 0.5
    return (tf.cond(flip, lambda: tf.image.flip_left_right(lowres_img), lambda: lowres_img),
            tf.cond(flip, lambda: tf.image.flip_left_right(highres_img), lambda: highres_img))
