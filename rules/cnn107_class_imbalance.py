import math

from cnnlint.rule import Rule, bad, good

SHOWN_CLASSES = 12


def _classifier(counts, units=None):
    """A tiny softmax classifier and labels with `counts[c]` samples of class c (shuffled)."""
    import keras
    import numpy as np

    lay = keras.layers
    units = units or len(counts)
    model = keras.Sequential([keras.Input((8, 8, 1)), lay.Conv2D(4, 3, activation="relu"),
                              lay.GlobalAveragePooling2D(), lay.Dense(units, activation="softmax", name="out")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    return {"model": model, "x": rng.random((len(y), 8, 8, 1), dtype="float32"), "y": y}


@bad()
def one_class_holds_94_percent():
    return _classifier([60, 4])


@bad()
def low_entropy_across_10_classes():  # class 0 holds 81% (under 90%), normalized entropy 0.38
    return _classifier([52, 2, 2, 2, 1, 1, 1, 1, 1, 1])


@bad()
def single_class_for_10_units():
    return _classifier([40], units=10)


@good
def balanced_10_classes():
    return _classifier([7, 7, 7, 7, 6, 6, 6, 6, 6, 6])


@good
def too_few_labels_to_judge():
    return _classifier([19, 1])


@good
def moderate_85_15_split():
    return _classifier([54, 10])


class ClassImbalance(Rule):
    """One class dominates the labels of the sample batch.

    ## What it does
    Counts the class labels (integer ids or one-hot rows) of a sample of at least 32 labels and fires
    when one class holds more than 90% of them, or when the normalized label entropy
    `H / ln(C)` (C = classes present) is below 0.5. A single class present is an imbalance too when the
    output has more than one unit (or is a binary sigmoid/binary cross-entropy output).

    ## Why is this bad?
    The model learns to predict the majority class: accuracy looks high (94% by always answering
    class 0) while the minority classes, often the ones that matter, are never recognized.

    ## Example
    ```python
    y = np.array([0] * 60 + [1] * 4)  # 94% class 0
    model.fit(x, y)
    ```

    ## Fix
    Rebalance: pass `class_weight` to `fit`, oversample the minority classes (or undersample the majority),
    or check how the data was sampled; judge the model with per-class precision/recall, not accuracy.

    ## Source
    Seed 001 (data imbalance); TheDeepChecker.
    """

    code, name, severity = "CNN107", "class-imbalance", "warning"
    needs = ("batch",)
    options = {"min_samples": 32, "max_share": 0.9, "min_entropy": 0.5}

    examples = (one_class_holds_94_percent, low_entropy_across_10_classes, single_class_for_10_units,
                balanced_10_classes, too_few_labels_to_judge, moderate_85_15_split)

    def check(self, facts):
        for i, y in enumerate(facts.batch.labels):
            total = sum(y.counts)
            if not y.classes or total < self.opts["min_samples"] or not self._is_classification(facts, i, y):
                continue
            shares = [c / total for c in y.counts]
            top = max(range(len(shares)), key=shares.__getitem__)
            classes = len(y.classes)
            if classes == 1:
                entropy = 0.0
            else:
                entropy = -sum(p * math.log(p) for p in shares if p > 0) / math.log(classes)
            too_big, too_flat = shares[top] > self.opts["max_share"], entropy < self.opts["min_entropy"]
            if not (too_big or too_flat):
                continue
            order = sorted(range(classes), key=lambda k: -y.counts[k])
            tally = ", ".join(f"{y.classes[k]}: {y.counts[k]}" for k in order[:SHOWN_CLASSES])
            if classes > SHOWN_CLASSES:
                tally += f", ... ({classes - SHOWN_CLASSES} more classes)"
            which = f" (output {i})" if len(facts.batch.labels) > 1 else ""
            if classes == 1:
                reason = f"all {total} labels are class {y.classes[0]}"
            elif too_big:
                reason = (f"class {y.classes[top]} holds {y.counts[top]} of {total} labels ({shares[top]:.0%}, "
                          f"limit {self.opts['max_share']:.0%})")
            else:
                reason = (f"normalized label entropy is {entropy:.2f} (limit {self.opts['min_entropy']:g}) over "
                          f"{total} labels")
            extra = "" if classes == 1 or (too_flat and not too_big) else f", normalized entropy {entropy:.2f}"
            weights = "{" + ", ".join(f"{y.classes[k]}: {total / (classes * y.counts[k]):.2g}" for k in order) + "}"
            weights = weights if classes <= SHOWN_CLASSES else "total / (classes * count) per class"
            fix = (f"pass class_weight={weights} to fit or oversample the minority classes; judge with per-class "
                   f"precision/recall, not accuracy")
            if classes == 1:
                fix = ("check the labels and the loading: shuffle the data (a sorted dataset or an unshuffled "
                       "generator yields one class per batch), and include samples of every class")
            yield self.finding(f"labels{which} are imbalanced: {reason}; counts by class {{{tally}}}{extra}", fix=fix)

    @staticmethod
    def _is_classification(facts, i, y) -> bool:
        """Class labels (not integer-valued regression targets), as far as the facts tell."""
        loss = None
        if facts.compile is not None and facts.compile.compiled and i < len(facts.compile.losses):
            loss = facts.compile.losses[i]
        labelled = loss is not None and loss.takes_class_labels
        if loss is not None and not labelled and not y.one_hot:
            return False
        if len(y.classes) > 1 or facts.model is None or i >= len(facts.model.output_layers):
            return True
        units = facts.model.output_units(i)
        binary = facts.model.output_activation(i)[0] == "sigmoid" or labelled
        return units is None or units > 1 or binary
