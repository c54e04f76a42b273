from cnnlint.rule import Rule, bad, good


def _dense():
    import keras

    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])


@bad()
def buggy_plugin_rule():
    class AlwaysCrashes(Rule):  # a stand-in third-party rule with a bug; defined here so it is never registered
        code, name, needs = "TEST901", "always-crashes", ("model",)

        def check(self, facts):
            raise ZeroDivisionError("division by zero")

    return {"model": _dense(), "extra_rules": [AlwaysCrashes]}


@good
def no_crashing_rule():
    return {"model": _dense()}


class RuleCrashed(Rule):
    """A rule raised an exception while judging the facts.

    ## What it does
    The engine runs every rule inside a guard. When one raises, the exception becomes this
    finding, carrying the rule's code and the error in one line, and the other rules still run.

    ## Why is this bad?
    A crashing rule checked nothing: the model may have the very problem that rule looks for.

    ## Example
    A third-party rule that divides by a layer's unit count crashes on a layer without units.

    ## Fix
    Report the bug to the rule's author (for a CNNxxx rule, to cnnlint) with the message; meanwhile
    `--ignore` the rule to silence it.

    ## Source
    deepchecks: a check that fails becomes a result and the suite goes on.
    """

    code, name, severity = "CNN901", "rule-crashed", "error"
    needs = ()
    examples = (buggy_plugin_rule, no_crashing_rule)

    def check(self, facts):
        return ()  # emitted by the engine when another rule raises
