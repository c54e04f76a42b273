from cnnlint.rule import Rule, bad, good


def _cnn():
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax")])


@bad()
def never_compiled():
    return _cnn()


@bad()
def never_compiled_with_probe():
    return {"model": _cnn(), "probe": True}


@bad()
def compiled_without_loss():
    model = _cnn()
    model.compile(optimizer="adam")
    return model


@good
def compiled():
    model = _cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class NotCompiled(Rule):
    """The model is not compiled: it has no optimizer or no loss, so it can't be fit.

    ## What it does
    Checks that the model was compiled with both an optimizer and a loss. The finding is an error when
    a probe fit was asked for (the probe cannot run), and info otherwise: a script may compile the
    model later, just before `fit`.

    ## Why is this bad?
    `model.fit` on an uncompiled model raises at once; a model compiled without a loss raises or trains
    nothing. The compile-time rules (loss/output pairing, learning rate, schedule) can't judge it either.

    ## Example
    ```python
    model = keras.Sequential([...])
    model.fit(x, y)  # RuntimeError: You must call `compile()` before using the model.
    ```

    ## Fix
    Call `model.compile(optimizer=..., loss=..., metrics=[...])` before linting or fitting, e.g.
    `model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])`.

    ## Source
    Keras `Model.fit` semantics.
    """

    code, name, severity = "CNN302", "not-compiled", "error"
    needs = ("compile",)
    options = {}

    examples = (never_compiled, never_compiled_with_probe, compiled_without_loss, compiled)

    def check(self, facts):
        if facts.compile.compiled or facts.compile.optimizer and facts.model and facts.model.custom_train_step:
            return  # compiled, or an optimizer and its own train_step that computes the loss
        severity = None if facts.probe_requested else "info"
        after = ", and neither can the probe fit" if facts.probe_requested else ""
        if facts.compile.optimizer:
            yield self.finding(f"the model is compiled with {facts.compile.optimizer} but no loss: unless a layer adds "
                               f"one with add_loss(), there is nothing to minimize{after}", severity=severity,
                               fix="pass a loss to model.compile, e.g. loss='sparse_categorical_crossentropy'")
        else:
            yield self.finding(f"the model is not compiled: no optimizer and no loss, so model.fit can't run"
                               f"{after}", severity=severity,
                               fix="call model.compile(optimizer='adam', loss=..., metrics=['accuracy']) "
                                   "before linting or fitting")
