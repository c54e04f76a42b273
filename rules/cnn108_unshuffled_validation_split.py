import math

from cnnlint.rule import Rule, bad, good

ARRAY_SOURCES = ("arrays", "npz")  # Keras applies validation_split to arrays only


def _split_case(order, validation_split):
    """A tiny classifier, 64 samples of 4 classes (16 each) in `order` ("sorted" or "shuffled")."""
    import keras
    import numpy as np

    lay = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 1)), lay.Conv2D(4, 3, activation="relu"),
                              lay.GlobalAveragePooling2D(), lay.Dense(4, activation="softmax", name="out")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 16)
    y = y if order == "sorted" else rng.permutation(y)
    return {"model": model, "x": rng.random((64, 8, 8, 1), dtype="float32"), "y": y,
            "validation_split": validation_split, "epochs": 5}


@bad()
def sorted_labels_with_validation_split():
    return _split_case("sorted", 0.25)


@bad()
def sorted_labels_with_small_split():
    return _split_case("sorted", 0.1)


@good
def shuffled_labels_with_validation_split():
    return _split_case("shuffled", 0.25)


@good
def sorted_labels_without_validation_split():
    return _split_case("sorted", 0.0)


def _names(ids) -> str:
    ids = [str(c) for c in ids]
    return "class " + ids[0] if len(ids) == 1 else "classes " + ", ".join(ids[:-1]) + " and " + ids[-1]


class UnshuffledValidationSplit(Rule):
    """`validation_split` takes the last samples, and the labels are sorted by class.

    ## What it does
    Fires when `fit(..., validation_split=v)` with `v > 0` is planned on arrays whose labels come in
    one block per class (sorted or grouped by class). Keras takes the LAST `v` fraction of the arrays as
    validation data BEFORE it shuffles, so validation holds only the last class(es). The message says
    which classes end up in validation and which are never trained on.

    ## Why is this bad?
    The classes in the validation block are never (or barely) trained on, and the others are never
    validated: validation accuracy sits near 0% and says nothing, while `shuffle=True` does not help
    because it only shuffles the training part.

    ## Example
    ```python
    y = np.repeat(np.arange(4), 16)  # 0,0,...,1,1,...,3,3
    model.fit(x, y, validation_split=0.25)  # validation = all of class 3, training = classes 0-2
    ```

    ## Fix
    Shuffle x and y together before `fit` (`idx = rng.permutation(len(x)); x, y = x[idx], y[idx]`), or
    make a stratified split yourself (`sklearn.model_selection.train_test_split(..., stratify=y)`) and
    pass `validation_data=(x_val, y_val)`.

    ## Source
    Keras `fit` semantics (validation_split is taken before shuffling); classic StackOverflow bug.
    """

    code, name, severity = "CNN108", "unshuffled-validation-split", "warning"
    needs = ("batch", "plan")
    options = {}

    examples = (sorted_labels_with_validation_split, sorted_labels_with_small_split,
                shuffled_labels_with_validation_split, sorted_labels_without_validation_split)

    def check(self, facts):
        split, y = facts.plan.validation_split, facts.batch.y
        if split <= 0 or y is None or not y.grouped or facts.batch.source not in ARRAY_SOURCES:
            return
        total = sum(y.counts)
        n_val = total - int(math.floor(total * (1.0 - split)))  # Keras splits the arrays at this index
        if n_val <= 0:
            return
        order = y.block_order  # class ids in the order their blocks appear
        count = dict(zip(y.classes, y.counts))
        left, whole, part = n_val, [], None
        for cls in reversed(order):
            if left <= 0:
                break
            if count[cls] <= left:
                whole.append(cls)
            else:
                part = cls
            left -= count[cls]
        whole.reverse()
        held = []
        if whole:
            held.append(f"all of {_names(whole)}")
        if part is not None:
            held.append(f"{count[part] - (-left)} of {count[part]} samples of class {part}")
        validated = set(whole) | ({part} if part is not None else set())
        never_validated = [c for c in y.classes if c not in validated]
        effect = [f"{_names(whole)} {'is' if len(whole) == 1 else 'are'} never trained on"] if whole else []
        if never_validated:
            effect.append(f"{_names(never_validated)} {'is' if len(never_validated) == 1 else 'are'} never "
                          f"validated")
        yield self.finding(
            f"validation_split={split:g} takes the last {n_val} of {total} samples before shuffling, and the "
            f"labels come in one block per class: validation holds {' and '.join(held)}; "
            f"{' and '.join(effect)}",
            fix="shuffle x and y together before fit (idx = np.random.default_rng(0).permutation(len(x)); "
                "x, y = x[idx], y[idx]), or split stratified by class and pass validation_data=(x_val, y_val)")
