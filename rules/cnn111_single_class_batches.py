from cnnlint.rule import Rule, bad, good


def _pipeline(buffer):
    """A classifier fed a tf.data pipeline of class-sorted samples, shuffled with `buffer` (None: fully)."""
    import keras
    import numpy as np
    import tensorflow as tf

    lay = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 1)), lay.Conv2D(4, 3, activation="relu"),
                              lay.GlobalAveragePooling2D(), lay.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    y = np.repeat(np.arange(4), 64)  # read from one folder per class, in order
    x = np.random.default_rng(0).random((len(y), 8, 8, 1), dtype="float32") + y[:, None, None, None]
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(buffer or len(y), seed=0).batch(16)
    return {"model": model, "x": data}


@bad()
def sorted_files_with_a_small_shuffle_buffer():
    return _pipeline(8)


@good
def shuffled_over_the_whole_dataset():
    return _pipeline(None)


class SingleClassBatches(Rule):
    """The dataset's batches each hold far fewer classes than the data.

    ## What it does
    For a `tf.data.Dataset` or an indexable `PyDataset`, reads the labels of its first batches (up to 8;
    a plain Python generator is never read ahead) and compares their mean class entropy with that of
    batches of the same size drawn at random from the same labels (what a full shuffle gives). It reports
    batches whose mean entropy is below `min_ratio` (50%) of that: each step sees only one or two classes.
    Batches with room for fewer than `samples_per_class` (4) samples per class are not judged: even a
    perfect shuffle leaves them a class or two.

    ## Why is this bad?
    Every update then pulls the model toward the classes of that batch: the loss zig-zags, BatchNorm's
    batch statistics describe one class at a time, and the model forgets what the previous batches taught.
    The usual cause is a pipeline that reads files class by class (one folder per class) and shuffles with
    a buffer much smaller than the dataset.

    ## Example
    ```python
    files = sorted(glob("train/*/*.png"))          # class 0 first, then class 1, ...
    ds = tf.data.Dataset.from_tensor_slices(files).map(load).shuffle(100).batch(32)
    ```

    ## Fix
    Shuffle the file list before reading it, or use a shuffle buffer as large as the dataset
    (`.shuffle(len(files))`, before `.map` so it shuffles file names, not images); interleave per-class
    datasets with `tf.data.Dataset.sample_from_datasets`.

    ## Source
    tensorflow/tensorflow#36626 (a small shuffle buffer on sorted data).
    """

    code, name, severity = "CNN111", "single-class-batches", "warning"
    needs = ("batch",)
    options = {"min_ratio": 0.5, "samples_per_class": 4}
    examples = (sorted_files_with_a_small_shuffle_buffer, shuffled_over_the_whole_dataset)

    def check(self, facts):
        mix = facts.batch.label_mix
        if mix is None:
            return
        batches, per_batch, shuffled, size, classes = mix
        if shuffled <= 0 or size < self.opts["samples_per_class"] * classes:
            return  # batches too small to hold every class even when perfectly shuffled: nothing to judge
        if per_batch >= self.opts["min_ratio"] * shuffled:
            return
        yield self.finding(
            f"the first {batches} batches of the {facts.batch.source} (about {size} samples, {classes} classes) "
            f"hold a mean class entropy of {per_batch:.2f} nats per batch, {per_batch / shuffled:.0%} of the "
            f"{shuffled:.2f} of batches drawn at random from the same labels (under {self.opts['min_ratio']:.0%}): "
            f"each batch holds only a few classes",
            fix="shuffle the file list before reading it, or shuffle with a buffer as large as the dataset "
                "(before .map and .batch)")
