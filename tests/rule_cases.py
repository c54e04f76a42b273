"""Turn a rule's example builders into `cnnlint.check` calls (shared by the tests and the docs)."""
from __future__ import annotations

import cnnlint
from cnnlint import registry


def cases():
    """(id, rule class, example function) for every example of every registered rule."""
    for code, rule in registry.all_rules().items():
        for fn in rule.examples:
            yield f"{code}-{fn.example_kind}-{fn.__name__}", rule, fn


def run_example(rule, fn):
    import keras

    keras.utils.set_random_seed(0)  # as the loader runs a factory: the example's weights do not depend on test order
    built = fn()
    kwargs = dict(built) if isinstance(built, dict) else {"model": built}
    kwargs.setdefault("select", [rule.code])
    kwargs.setdefault("config", {})
    kwargs.setdefault("probe", rule.phase == "probe")
    model = kwargs.pop("model")
    return cnnlint.check(model, **kwargs)
