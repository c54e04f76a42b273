import math

from cnnlint.rule import Rule, bad, good

# augmentation layer -> (config keys, option, what the factor does, a typical factor)
LAYERS = {"RandomRotation": (("factor",), "rotation_max", lambda v: f"rotates by up to {v * 360:g} deg", 0.05),
          "RandomZoom": (("height_factor", "width_factor"), "zoom_max", lambda v: f"zooms by up to {v:.0%}", 0.2),
          "RandomTranslation": (("height_factor", "width_factor"), "translation_max",
                                lambda v: f"shifts by up to {v:.0%} of the image", 0.1),
          "RandomContrast": (("factor",), "contrast_max", lambda v: f"can cut contrast to {max(0, 1 - v):.0%}", 0.2)}
# ImageDataGenerator setting -> (option, unit of the judged value)
GENERATOR = (("rotation_range", "gen_rotation_max", " deg"), ("width_shift_range", "gen_shift_max", " of the width"),
             ("height_shift_range", "gen_shift_max", " of the height"), ("zoom_range", "gen_zoom_max", " away from 1"),
             ("shear_range", "gen_shear_max", " rad"))
GENERATOR_FIX = "keep rotation_range <= 20, the shifts and zoom_range <= 0.2, and shear_range <= 10 (degrees)"


def _augmented(*specs, name=None):
    """A tiny classifier led by augmentation layers built from ("RandomZoom", *args) specs; `name` names the first."""
    import keras

    lay = keras.layers
    augmentation = [getattr(lay, cls)(*args, name=name if i == 0 else None) for i, (cls, *args) in enumerate(specs)]
    return keras.Sequential([keras.Input((16, 16, 1)), *augmentation, lay.Conv2D(4, 3, activation="relu"),
                             lay.GlobalAveragePooling2D(), lay.Dense(10, activation="softmax", name="out")])


def _flow(**settings):
    """A model fed by an ImageDataGenerator(**settings).flow(...) (reading a batch needs scipy)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x, y = rng.random((32, 16, 16, 1), dtype="float32"), rng.integers(0, 10, 32)
    gen = tf.keras.preprocessing.image.ImageDataGenerator(**settings)
    return {"model": _augmented(), "x": gen.flow(x, y, batch_size=16)}


@bad(layer="rotate")
def random_rotation_half_turn():
    return _augmented(("RandomRotation", 0.5), name="rotate")


@bad(layer="zoom")
def random_zoom_70_percent():
    return _augmented(("RandomZoom", (-0.7, 0.2)), name="zoom")


@bad(layer="shift")
def random_translation_40_percent():
    return _augmented(("RandomTranslation", 0.4, 0.1), name="shift")


@bad(layer="contrast")
def random_contrast_95_percent():
    return _augmented(("RandomContrast", 0.95), name="contrast")


@bad()
def image_data_generator_rotating_90_degrees():
    return _flow(rotation_range=90)


@good
def moderate_augmentation_layers():
    return _augmented(("RandomRotation", 0.1), ("RandomZoom", 0.2), ("RandomTranslation", 0.1, 0.1),
                      ("RandomContrast", 0.2))


@good
def moderate_image_data_generator():
    return _flow(rotation_range=20, width_shift_range=0.1, height_shift_range=2, zoom_range=0.2, shear_range=10)


def _max_abs(value) -> float | None:  # a factor given as a number or a (low, high) pair
    values = value if isinstance(value, (list, tuple)) else [value]
    numbers = [abs(float(v)) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return max(numbers) if numbers else None


class ExtremeAugmentation(Rule):
    """Data augmentation so strong that it can change what the image shows.

    ## What it does
    Fires on Keras augmentation layers beyond `RandomRotation` factor 0.25 (90 degrees), `RandomZoom` 0.5,
    `RandomTranslation` 0.3, `RandomContrast` 0.9, and on an `ImageDataGenerator` used as data beyond
    `rotation_range` 45 degrees, `width/height_shift_range` 0.3 of the image, `zoom_range` 0.5 away from 1,
    `shear_range` 0.5 radians (it takes degrees: 28.6).

    ## Why is this bad?
    Augmentation must preserve the label. Turned up too far it doesn't: a 6 rotated by 180 degrees is a 9,
    a 40% shift pushes the object out of the frame. The model trains on wrong or empty examples and underfits.

    ## Example
    ```python
    keras.layers.RandomRotation(0.5)  # up to +-180 degrees; or ImageDataGenerator(rotation_range=90)
    ```

    ## Fix
    Keep augmentation label-preserving: rotations of 10-20 degrees (factor 0.05), zoom and shifts of
    10-20%, contrast 0.2; widen it only if a probe run shows the model still fits.

    ## Source
    Seeds 000/001/003 ("overshooting augmentation").
    """

    code, name, severity = "CNN109", "extreme-augmentation", "warning"
    needs = ("model",)
    options = {"rotation_max": 0.25, "zoom_max": 0.5, "translation_max": 0.3, "contrast_max": 0.9,
               "gen_rotation_max": 45.0, "gen_shift_max": 0.3, "gen_zoom_max": 0.5, "gen_shear_max": 0.5}

    examples = (random_rotation_half_turn, random_zoom_70_percent, random_translation_40_percent,
                random_contrast_95_percent, image_data_generator_rotating_90_degrees,
                moderate_augmentation_layers, moderate_image_data_generator)

    def check(self, facts):
        for lay in facts.model.layers:
            if lay.class_name not in LAYERS:
                continue
            keys, option, meaning, typical = LAYERS[lay.class_name]
            limit = self.opts[option]
            over = [(key, v) for key in keys if (v := _max_abs(lay.config.get(key))) is not None and v > limit]
            if over:
                does = meaning(max(v for _, v in over))
                yield self.finding(
                    f"{lay.class_name} {', '.join(f'{k}={lay.config[k]}' for k, _ in over)} {does} (limit {limit:g}):"
                    f" strong enough to change what the image shows", layer=lay.path,
                    fix=f"lower {' and '.join(k for k, _ in over)} to at most {limit:g} (typical: {typical:g})")
        batch = facts.batch
        if batch is not None and (over := self._generator(batch.augmentation, batch.x.shape)):
            yield self.finding(f"the ImageDataGenerator used as data augments beyond label-preserving limits: "
                               f"{'; '.join(over)}", fix=GENERATOR_FIX)

    def _generator(self, settings: dict, x_shape: tuple) -> list[str]:
        sizes = {"width_shift_range": x_shape[2], "height_shift_range": x_shape[1]} if len(x_shape) == 4 else {}
        over = []
        for key, option, unit in GENERATOR:
            value = settings.get(key)
            if key == "zoom_range" and isinstance(value, (list, tuple)) and len(value) == 2:
                value = max(abs(1 - float(value[0])), abs(float(value[1]) - 1))
            value = _max_abs(value)
            if value is not None and key.endswith("shift_range") and value >= 1:  # pixels, not a fraction
                value = value / sizes[key] if sizes.get(key) else None
            if value is not None and key == "shear_range":
                value = math.radians(value)  # ImageDataGenerator takes degrees
            if value is not None and value > self.opts[option]:
                shown = settings[key]
                shown = f"[{', '.join(f'{v:.3g}' for v in shown)}]" if isinstance(shown, (list, tuple)) else shown
                over.append(f"{key}={shown} ({value:.3g}{unit} > {self.opts[option]:g})")
        return over
