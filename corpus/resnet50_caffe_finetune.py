"""The common Keras fine-tuning recipe with ResNet50: ImageNet ResNet50 without its top, a new softmax head on
global average pooling, the whole network trained end to end with SGD(1e-3, momentum 0.9); the images go
through resnet50.preprocess_input in the input pipeline (ImageDataGenerator(preprocessing_function=...)), so
the model receives caffe-style floats (BGR, ImageNet mean subtracted, roughly -124..152) and one-hot labels.

Shrunk: 224x224 -> 96x96 (ResNet50 ends at 3x3x2048 instead of 7x7x2048); the architecture is unchanged."""
import keras
from keras import layers

from corpus._data import class_images, one_hot
from corpus._weights import as_pretrained

SOURCE = ("Common Keras fine-tuning recipe (keras.io/api/applications 'Fine-tune InceptionV3 on a new set of "
          "classes' pattern, with ResNet50 and ImageDataGenerator(preprocessing_function="
          "keras.applications.resnet50.preprocess_input), SGD(learning_rate=1e-3, momentum=0.9))")
TASK = "classification"
# representative: flow_from_directory(class_mode='categorical', batch_size=32) over a few thousand images
FIT = {"batch_size": 32, "epochs": 20, "samples": 5000}
TRUE = {}
SLOW = True
NOTE = ("weights=None instead of 'imagenet': the ResNet50 kernels are random; its BatchNormalization statistics "
        "emulate pretraining (as_pretrained on the caffe-preprocessed sample).")
SIZE, CLASSES = 96, 10


def build_model():
    x, _ = data()
    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(SIZE, SIZE, 3))
    as_pretrained(base, x[:64])
    h = layers.GlobalAveragePooling2D()(base.output)
    outputs = layers.Dense(CLASSES, activation="softmax")(h)
    model = keras.Model(base.input, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    x, y = class_images(96, (SIZE, SIZE, 3), CLASSES)
    x = keras.applications.resnet50.preprocess_input(x.astype("float32"))  # in the pipeline, not the model
    return x, one_hot(y, CLASSES)
