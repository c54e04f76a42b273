import numpy as np

from cnnlint.probe.runner import too_few
from cnnlint.rule import Rule, bad, good


def _classifier(related):
    import keras

    lay = keras.layers
    rng = np.random.default_rng(0)
    y = np.arange(96) % 4
    x = rng.normal(0, 1, (96, 12, 12, 1)).astype("float32")
    if related:
        x[np.arange(96), y * 3, :, 0] += 3.0  # each class lights its own row
    else:
        y = rng.permutation(y)  # images and labels read in different file orders
    model = keras.Sequential([keras.Input((12, 12, 1)), lay.Conv2D(8, 3, activation="relu"), lay.Flatten(),
                              lay.Dense(4, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return {"model": model, "x": x, "y": y, "select": ["CNN412"]}


@bad()
def labels_shuffled_against_the_images():
    return _classifier(related=False)


@good
def labels_that_follow_the_images():
    return _classifier(related=True)


class LabelsUnrelatedToInputs(Rule):
    """Opt-in: the labels carry no information about the inputs; the fit predicts unseen samples at chance.

    ## What it does
    Opt-in (select CNN412 or labels-unrelated-to-inputs). After the probe has fitted its fixed batch of
    16 samples, it measures the model's accuracy on up to 64 further samples of the sample batch that the
    fit never saw. For classifiers, it reports a held-out accuracy within `min_heldout_gain` (10 points) of
    always answering the most common class: what the fit learned does not carry over, as with labels
    shuffled against the inputs. It needs >= 48 samples and `min_steps` (20) steps (or a memorized batch); with fewer steps the report
    lists it as not judged.
    A second fit on shuffled labels (Zhang et al.) was tried and dropped: on 16 samples real and shuffled
    labels fit at the same speed, so it could not tell them apart.

    ## Why is this bad?
    A network memorizes random labels too, only more slowly (Zhang et al. 2017): a run whose images and
    labels were read in different orders trains, its training loss falls, and validation stays at chance.
    Nothing crashes; days go by before anyone looks at the pairs.

    ## Example
    ```python
    images = sorted(glob("img/*.png")); labels = read_csv("labels.csv")   # two different orders
    ```

    ## Fix
    Check a few (image, label) pairs by eye; build both from one list of records (file name and label
    together), and shuffle that list, never the two separately.

    ## Source
    keras-team/keras#14416; tensorflow/tensorflow#50124; Zhang et al., ICLR 2017 (random labels fit slower).
    Opt-in: 16 training samples are too few for a hard task (many classes, subtle cues) to generalize at
    all, so on healthy models a default-on version would cry wolf.
    """

    code, name, severity = "CNN412", "labels-unrelated-to-inputs", "warning"
    phase, opt_in = "probe", True
    needs = ("probe",)
    options = {"min_heldout_gain": 0.1, "min_steps": 20}
    examples = (labels_shuffled_against_the_images, labels_that_follow_the_images)

    def check(self, facts):
        probe = facts.probe
        if probe.heldout is None:
            return
        if probe.stopped_early is False and probe.steps_run < self.opts["min_steps"]:
            self.cannot_judge(too_few(probe, self.opts["min_steps"]))
        accuracy, majority, n = probe.heldout
        if accuracy > majority + self.opts["min_heldout_gain"]:
            return
        yield self.finding(
            f"after fitting {probe.samples} samples the model predicts {n} samples of the batch it never saw at "
            f"{accuracy:.0%}, no better than always answering the most common class ({majority:.0%}): the labels "
            f"do not seem to depend on the inputs", fix="check a few (input, label) pairs; build x and y from one "
                                                       "list of records and shuffle that list, never x and y apart")
