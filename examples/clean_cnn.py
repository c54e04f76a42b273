"""A clean CNN: rescaling inside the model, batch norm, dropout, a pooled head, Adam at 1e-3."""
import keras
from keras import layers

from synthetic import images


def build_model():
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(32, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU(),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU(),
        layers.MaxPooling2D(),
        layers.Conv2D(128, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU(),
        layers.GlobalAveragePooling2D(), layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = images(256, size=32)
    return model, ((x * 255).astype("float32"), y)  # 0-255 floats: the model rescales them itself


if __name__ == "__main__":
    model, (x, y) = build_model()
    model.fit(x, y, epochs=2, batch_size=32, validation_split=0.2)
