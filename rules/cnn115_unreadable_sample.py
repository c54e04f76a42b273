from cnnlint.data import MAX_FOLDER_IMAGES
from cnnlint.rule import Rule, bad, good


def _folder_case(garbage=0):
    """A data folder of two classes with 3 small PNGs each, plus `garbage` files that are no image."""
    import tempfile
    from pathlib import Path

    import keras
    import numpy as np
    import tensorflow as tf

    from cnnlint.data import load_folder

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        for name in ("cats", "dogs"):
            (Path(folder) / name).mkdir()
            for i in range(3):
                pixels = rng.integers(0, 256, (8, 8, 1), dtype=np.uint8)
                tf.io.write_file(str(Path(folder) / name / f"{i}.png"), tf.io.encode_png(pixels))
        for i in range(garbage):
            (Path(folder) / "dogs" / f"broken{i}.png").write_bytes(b"<html>404 Not Found</html>")
        sample = load_folder(Path(folder))  # decoded here: the folder may go
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return {"model": model, "x": sample}


@bad()
def folder_with_an_html_page_saved_as_png():  # a scraper saved an error page under an image name
    return _folder_case(garbage=1)


@good
def folder_of_decodable_images():
    return _folder_case()


class UnreadableSample(Rule):
    """Image files in the data folder that cannot be decoded.

    ## What it does
    Reads the `--data` image folder the way a training pipeline would (`tf.io.decode_image`), skips the
    files it cannot decode, and reports how many there were, naming the first with the decoder's reason.
    The rest of the folder is still linted. (Folders of more than 256 images are sampled, so the count
    covers the sample.)

    ## Why is this bad?
    `keras.utils.image_dataset_from_directory` and `tf.data` pipelines decode every file each epoch: one
    corrupt, truncated or mislabelled file (an HTML error page saved as `.png`, a HEIC renamed `.jpg`, a
    zero-byte download) stops training with `InvalidArgumentError: Unknown image file format` hours in, at
    whatever step the shuffle reaches it. A pipeline that ignores errors (`ignore_errors()`) silently trains
    on fewer samples than the folder seems to hold.

    ## Example
    ```
    data/
      cats/0001.jpg ...
      dogs/0042.jpg   # a 0-byte file from an interrupted download
    ```

    ## Fix
    Remove or re-encode the files (open and save them again with PIL, or `tf.io.encode_jpeg`), then run
    cnnlint again; a cleaning pass before training (decode every file, drop the ones that fail) keeps new ones
    out.

    ## Source
    Keras example "Image classification from scratch" (filters the corrupt Cats vs Dogs images);
    tensorflow/tensorflow#38901, #52134.
    """

    code, name, severity = "CNN115", "unreadable-sample", "warning"
    needs = ("batch",)
    options = {}

    examples = (folder_with_an_html_page_saved_as_png, folder_of_decodable_images)

    def check(self, facts):
        unreadable = facts.batch.unreadable
        if not unreadable:
            return
        first, reason = unreadable[0]
        total = facts.plan.samples if facts.plan is not None else None
        count = len(unreadable)
        them = "them" if count > 1 else "it"
        if total is None:
            of = f"{count} file{'s' if count > 1 else ''}"
        elif total > MAX_FOLDER_IMAGES:
            of = f"{count} of the {MAX_FOLDER_IMAGES} files cnnlint sampled from the {total}"
        else:
            of = f"{count} of {total} files"
        yield self.finding(
            f"{of} in the data folder could not be read; the first: {first} ({reason}): a training pipeline "
            f"would crash on {them} or silently skip {them}",
            fix=f"remove or re-encode {them} (open and save again with PIL) before training")
