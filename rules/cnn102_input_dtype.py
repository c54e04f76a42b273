from cnnlint.rule import Rule, bad, good

FINE = {"float16", "float32", "bfloat16"}
TAKES_INTEGERS = {"Embedding", "StringLookup", "IntegerLookup", "TextVectorization", "CategoryEncoding", "Hashing",
                  "HashedCrossing"}
CASTS = {"Rescaling", "Normalization"}  # cast the input to float themselves, the documented uint8 entry


def _cnn(*head):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((8, 8, 1)), *head, layers.Conv2D(4, 3, activation="relu", name="stem"),
                             layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])


def _pixels(dtype):
    import numpy as np

    return np.random.default_rng(0).integers(0, 256, (16, 8, 8, 1)).astype(dtype)


@bad()
def uint8_images():
    return {"model": _cnn(), "x": _pixels("uint8")}


@bad()
def bool_mask():
    return {"model": _cnn(), "x": _pixels("uint8") > 127}


@bad()
def string_paths():
    import numpy as np

    return {"model": _cnn(), "x": np.full((16, 8, 8, 1), "img.png")}


@bad()
def float64_from_numpy_defaults():
    return {"model": _cnn(), "x": _pixels("float64") / 255}


@good
def float32_images():
    return {"model": _cnn(), "x": _pixels("float32") / 255}


@good
def uint8_into_rescaling():
    import keras

    return {"model": _cnn(keras.layers.Rescaling(1 / 255)), "x": _pixels("uint8")}


@good
def token_ids_into_embedding():
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((16,), dtype="int32"), keras.layers.Embedding(100, 8),
                              keras.layers.Conv1D(4, 3), keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(2)])
    return {"model": model, "x": np.random.default_rng(0).integers(0, 100, (16, 16))}


class InputDtype(Rule):
    """The input data is not floating point, or is float64.

    ## What it does
    Checks the dtype of each input array: integer images (uint8, int) and bool masks are a warning;
    object and string arrays are an error; float64 is info. float32, float16 and bfloat16 are fine, and so
    are integers fed to a layer that takes them (Embedding, lookups) or that casts them itself
    (Rescaling, Normalization at the model's entry).

    ## Why is this bad?
    Integer images are usually unscaled 0-255 pixels, and integer arithmetic in the pipeline
    (augmentation, `x / 255` in an int tensor op) truncates; object/string data cannot reach a conv
    layer at all. float64 doubles the memory and host-to-device traffic of float32, only to be
    cast to float32 by the first layer.

    ## Example
    ```python
    (x_train, y_train), _ = keras.datasets.mnist.load_data()  # uint8
    model.fit(x_train, y_train)
    ```

    ## Fix
    Convert once in the data pipeline: `x = x.astype("float32") / 255`, or start the model with
    `keras.layers.Rescaling(1 / 255)`. Decode strings (file paths) into image tensors first.

    ## Source
    Seed 000 (float32 inputs); UMLAUT.
    """

    code, name, severity = "CNN102", "input-dtype", "warning"
    needs = ("batch",)  # reads facts.model too, when the model was built, to see what consumes each input
    options = {}

    examples = (uint8_images, bool_mask, string_paths, float64_from_numpy_defaults, float32_images,
                uint8_into_rescaling, token_ids_into_embedding)

    def check(self, facts):
        inputs = facts.batch.inputs
        for i, arr in enumerate(inputs):
            label = "x" if len(inputs) == 1 else f"x[{i}]"
            if arr.dtype in FINE or arr.dtype.startswith("float8"):
                continue
            values = f" (values {arr.min:g}..{arr.max:g})" if arr.min is not None else ""
            if arr.kind == "f":
                yield self.finding(f"{label} is {arr.dtype}{values}: twice the memory and transfer of float32, "
                                   f"and Keras casts it to float32 at the first layer anyway",
                                   fix=f'convert it once: {label} = {label}.astype("float32")', severity="info")
            elif arr.kind in "uib":
                consumer = facts.model.input_consumer(i) if facts.model else None
                if arr.kind != "b" and consumer is not None and consumer.class_name in TAKES_INTEGERS | CASTS:
                    continue
                if i == 0 and arr.kind != "b" and _scaled_inside(facts.batch):
                    continue  # a float Input casts them and the model's own preprocessing scales them
                image = len(arr.sample_shape) >= 2
                why = ("a bool mask: Keras casts it to 0/1 floats, so make that explicit" if arr.kind == "b" else
                       "integer images are usually unscaled pixels, and integer ops in the pipeline truncate"
                       if image else "integer features are cast by the first layer, so make that explicit")
                fix = (f'{label} = {label}.astype("float32") / 255 for 0-255 pixels (or start the model with '
                       f"keras.layers.Rescaling(1 / 255))" if image and arr.kind != "b"
                       else f'{label} = {label}.astype("float32")')
                yield self.finding(f"{label} is {arr.dtype}{values}, not floating point: {why}",
                                   fix=f"convert it: {fix}")
            else:
                kind = {"O": "an object", "U": "a string", "S": "a bytes"}.get(arr.kind, "a non-numeric")
                yield self.finding(f"{label} is {kind} array ({arr.dtype}): a conv net needs numbers, and fit "
                                   f"cannot convert it", severity="error",
                                   fix=f"decode file paths into image arrays, or stack ragged samples into one "
                                       f'numeric array: {label} = np.stack(list({label})).astype("float32")')



def _scaled_inside(batch) -> bool:
    """The model's own preprocessing (Rescaling, preprocess_input's ops) turns x into small float values."""
    pre = batch.preprocessed
    return bool(batch.preprocess_layers and pre is not None and pre.min is not None
                and max(abs(pre.min), abs(pre.max)) <= 10)
