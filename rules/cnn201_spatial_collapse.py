from cnnlint.rule import Rule, bad, good


def _victims(model, start) -> list:
    """Conv/pool layers with a window > 1 that read the 1-pixel map `start` makes (zero padding does not count)."""
    found, todo, seen = [], [start], {start.path}
    while todo:
        for lay in model.readers(todo.pop().path):
            if lay.path not in seen:
                seen.add(lay.path)
                window = lay.kernel_size or lay.pool_size or (1,)
                if lay.has_window and "Transpose" not in lay.class_name and max(window) > 1:
                    found.append(lay)
                out = model.spatial(start.path, lay.output_shape)  # by the format of `start`
                if out and (all(d == 1 for d in out) or lay.class_name.startswith("ZeroPadding")):
                    todo.append(lay)
    return sorted(found, key=lambda lay: lay.index)


def _seq(*stack, shape=(16, 16, 3), name=None):
    import keras
    return keras.Sequential([keras.Input(shape), *stack], name=name)


@bad(layer="pool4")
def pooled_to_one_pixel_then_conv():  # seed 001: one pooling too many
    from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    blocks = [b for i in range(1, 5) for b in (Conv2D(8, 3, padding="same"), MaxPooling2D(name=f"pool{i}"))]
    return _seq(*blocks, Conv2D(16, 3, padding="same"), Flatten(), Dense(10, activation="softmax"))


@bad(layer="backbone/down")
def nested_channels_first_strided():
    import keras
    from keras.layers import Conv2D, Dense, Flatten
    cf, inp = {"data_format": "channels_first"}, keras.Input((3, 9, 9))
    down = Conv2D(8, 3, strides=2, name="down", **cf)
    backbone = _seq(Conv2D(8, 3, strides=2, **cf), down, shape=(3, 9, 9), name="backbone")
    return keras.Model(inp, Dense(2)(Flatten()(Conv2D(8, 3, padding="same", **cf)(backbone(inp)))))


@bad(layer="squash")
def conv1d_to_one_step():
    from keras.layers import Conv1D, Dense, GlobalAveragePooling1D
    return _seq(Conv1D(4, 5, name="squash"), Conv1D(4, 3, padding="same"), GlobalAveragePooling1D(), Dense(1),
                shape=(5, 2))


@good
def one_pixel_then_pointwise_global_and_decoder():
    import keras
    from keras import layers
    inp = keras.Input((4, 4, 3))
    code = layers.Conv2D(16, 4)(inp)  # 4x4 -> 1x1 on purpose: then 1x1 convs, global pooling, a decoder
    logits = layers.Flatten()(layers.Conv2D(10, 1, activation="softmax")(code))
    pooled = layers.Dense(1)(layers.GlobalAveragePooling2D()(code))
    return keras.Model(inp, [logits, pooled, layers.Conv2DTranspose(3, 4)(code)])


class SpatialCollapse(Rule):
    """Pooling and striding shrink the feature map to nothing, or to one pixel while convolutions still follow.

    ## What it does
    Follows the spatial size through every conv, pooling and strided layer (any data format, 1D to
    3D, nested models). A size <= 0 is an error; a map brought down to 1x1 while a conv/pooling layer
    with a window > 1 still reads it is a warning (global pooling, 1x1 and transposed convs are fine).

    ## Why is this bad?
    A 3x3 kernel on a 1x1 map sees one pixel and padding: its weights are wasted and spatial structure
    was thrown away too early. A size <= 0 cannot be built at all.

    ## Example
    ```python
    [Conv2D(8, 3, padding="same"), MaxPooling2D()] * 4 + [Conv2D(16, 3, padding="same")]  # 16->8->4->2->1
    ```

    ## Fix
    Remove a pooling/strided layer, use `padding="same"`, feed larger images, or end there with global pooling.

    ## Source
    Seed 001 (excessive pooling), NeuraLint f013, SO 55731589.
    """

    code, name, severity = "CNN201", "spatial-collapse", "error"
    needs, options = (), {}  # also judges a model Keras refused to build (facts.problems)
    examples = (pooled_to_one_pixel_then_conv, nested_channels_first_strided, conv1d_to_one_step,
                one_pixel_then_pointwise_global_and_decoder)

    def check(self, facts):
        model, covered = facts.model, set()
        fix = "remove a pooling/strided layer (or use padding='same'), or feed larger inputs"
        for problem in facts.problems:
            if problem.stage == "collapse":
                yield self.finding(problem.message, layer=problem.layer, fix=fix)
        if model is None:
            return
        for lay in (lay for lay in model.leaves if lay.shrinks):
            before, after = (model.spatial(lay.path, shape) or () for shape in (lay.input_shape, lay.output_shape))
            size = "x".join(map(str, after))
            if any(d is not None and d <= 0 for d in after) and all(d is None or d > 0 for d in before):
                yield self.finding(f"spatial size {model.shape_trail(lay.path)} at {lay.path}: the feature map "
                                   f"is empty ({size})", layer=lay.path, fix=fix)
            elif before and after and all(d == 1 for d in after) and not all(d == 1 for d in before):
                victims = _victims(model, lay)
                if victims and not covered & {v.path for v in victims}:
                    covered |= {v.path for v in victims}
                    more, window = f" and {len(victims) - 1} more" * (len(victims) > 1), victims[0].kernel_size
                    yield self.finding(
                        f"spatial size {model.shape_trail(lay.path)} at {lay.path} (size {size}), but "
                        f"{victims[0].path} ({'x'.join(map(str, window or victims[0].pool_size))} window){more} "
                        f"still follow{'s' * (not more)}: it sees a single {'pixel' if len(after) > 1 else 'step'}",
                        layer=lay.path, severity="warning",
                        fix=f"{fix}; or end the feature extractor at {lay.path} with global average pooling")
