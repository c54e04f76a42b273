from cnnlint.rule import Rule, bad, good

LOOKAHEAD_CONVS = 5  # how many convs past a channel drop to look for the block that widens again


def _previous_convs(model, lay) -> list:  # the nearest convs upstream, through layers neither conv nor dense
    found, todo, seen = [], list(lay.inbound), set()
    while todo:
        prev = model.get(todo.pop())
        if prev is not None and prev.path not in seen and not prev.is_model and prev.units is None:
            seen.add(prev.path)
            found, todo = (found + [prev], todo) if prev.is_conv else (found, todo + list(prev.inbound))
    return found


def _excused(model, conv, wide) -> bool:
    """The conv is the head, is added/concatenated back into a stream, its block widens back to `wide`
    channels, or a decoder follows."""
    pointwise = all(k == 1 for k in conv.kernel_size)
    todo, seen = [(conv, 0, False)], set()
    while todo:
        lay, convs, heavy = todo.pop()
        if lay.is_output and not heavy:
            return True  # a conv head (segmentation map, all-conv classifier)
        for nxt in [c for c in model.readers(lay.path) if c.path not in seen]:
            seen.add(nxt.path)
            chans = model.channels(nxt.path, nxt.output_shape)
            joins = nxt.is_merge and nxt.class_name != "Dot"  # a Dot contracts channels: it joins no stream
            if joins and chans is not None and (convs == 0 or chans >= wide):
                return True  # residual/linear-bottleneck add, dense or inception block concat
            if "Transpose" in nxt.class_name or nxt.class_name.startswith("UpSampling") or (
                    pointwise and nxt.is_conv and (chans or 0) >= wide):
                return True  # a decoder follows (autoencoder code); a 1x1 reduce then expand (ResNet, MobileNetV2, SE)
            depth, weighted = convs + nxt.is_conv, heavy or nxt.params > 0
            if depth <= LOOKAHEAD_CONVS and (chans is not None or not weighted):
                todo.append((nxt, depth, weighted))
    return False


def _ancestors(model, path) -> list:
    """The head: the layers upstream of output `path` back to the nearest merge (a side branch such as
    PointNet's transform net, joined by a Dot, is not on the way to the classes)."""
    todo, seen = [path], {}
    while todo:
        lay = model.layer(todo.pop())
        if lay.is_merge:
            continue
        for prev in filter(None, map(model.get, lay.inbound)):
            if prev.path not in seen:
                seen[prev.path] = prev
                todo.append(prev.path)
    return sorted(seen.values(), key=lambda lay: lay.index)


def _narrows_to_output(model, lay) -> bool:
    """From `lay` to a model output only single-input layers follow and the width never grows again: the
    head narrowing to the output's width (a segmentation head's 1x1 projection of concatenated features)."""
    cur, width = lay, model.channels(lay.path, lay.output_shape)
    while not cur.is_output:
        after = model.readers(cur.path)
        if len(after) != 1 or after[0].is_merge:
            return False
        cur = after[0]
        chans = model.channels(cur.path, cur.output_shape) if isinstance(cur.output_shape, tuple) else None
        if chans is None or width is not None and chans > width:
            return False  # flattened or pooled away (a classifier's bottleneck), or widening again
    return True


@bad(layer="narrow")
def wide_conv_then_narrow_conv():  # seed 001: a bottleneck before the head
    from keras import Input, Sequential, layers
    return Sequential([Input((16, 16, 3)), layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
                       layers.BatchNormalization(), layers.Conv2D(8, 3, activation="relu", name="narrow"),
                       layers.Flatten(), layers.Dense(10, activation="softmax")])


@bad(layer="hidden")
def dense_narrower_than_classes():
    from keras import Input, Sequential, layers
    return Sequential([Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                       layers.Dense(4, activation="relu", name="hidden"), layers.Dense(10, activation="softmax")])


@good
def residual_inverted_residual_and_conv_head():
    import keras
    from keras import layers
    inp = keras.Input((8, 8, 3))
    stem = layers.Conv2D(64, 3, padding="same")(inp)
    x = layers.Conv2D(16, 1)(stem)  # ResNet bottleneck: 64 -> 16 -> 16 -> 64, added back
    x = layers.Add()([stem, layers.Conv2D(64, 1)(layers.Conv2D(16, 3, padding="same")(x))])
    y = layers.DepthwiseConv2D(3, padding="same")(layers.Conv2D(96, 1)(layers.Conv2D(16, 1)(x)))
    y = layers.Conv2D(96, 1)(layers.Conv2D(16, 1)(y))  # MobileNetV2: project 96 -> 16, the next block expands
    head = layers.Softmax()(layers.GlobalAveragePooling2D()(layers.Conv2D(10, 1)(y)))  # all-conv head 96 -> 10
    return keras.Model(inp, [layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(y)), head])


class ChannelBottleneck(Rule):
    """Channels shrink so sharply that the layer throws information away before the head.

    ## What it does
    Flags a conv with `ratio` (4) times fewer channels than the conv layers feeding it (through pooling,
    normalization, activations), and a hidden Dense narrower than the classes of a softmax/sigmoid
    output. Not flagged: a conv that is the head, one added/concatenated back (residual, dense blocks),
    a 1x1 reduction whose block widens again (ResNet, Inception, MobileNetV2, squeeze-excite), and the
    code of an encoder-decoder (an upsampling layer follows).

    ## Why is this bad?
    Later layers see only what squeezes through the narrow layer: learned features are lost; it underfits.

    ## Example
    ```python
    Conv2D(64, 3), MaxPooling2D(), Conv2D(8, 3), Flatten(), Dense(10, activation="softmax")
    ```

    ## Fix
    Shrink channels gradually (at most 2x per layer), keep hidden Dense layers at least as wide as
    the number of classes, or add the skip connection that makes it a bottleneck block.

    ## Source
    Seed 001 (bottlenecks), NeuraLint f023, SO 44322611.
    """

    code, name, severity = "CNN202", "channel-bottleneck", "warning"
    needs, options = ("model",), {"ratio": 4}
    examples = (wide_conv_then_narrow_conv, dense_narrower_than_classes, residual_inverted_residual_and_conv_head)

    def check(self, facts):
        model, ratio, flagged = facts.model, self.opts["ratio"], set()
        for lay in [lay for lay in model.leaves if lay.is_conv]:
            wide, narrow = model.channels(lay.path, lay.input_shape), model.channels(lay.path, lay.output_shape)
            before = _previous_convs(model, lay) if wide and narrow and wide >= ratio * narrow else []
            if before and not _excused(model, lay, wide) and not _narrows_to_output(model, lay):
                after = ", ".join(p.path for p in before[:2]) + (" ..." if len(before) > 2 else "")
                yield self.finding(f"filters {wide} -> {narrow} at {lay.path} ({wide / narrow:.0f}x drop after "
                                   f"{after}): the later layers see only {narrow} channels", layer=lay.path,
                                   fix=f"give {lay.path} at least {-(-wide // 2)} filters, or shrink gradually")
        for i, out in enumerate(model.output_layers):
            classes, shape = model.output_units(i), model.output_shapes[i]
            if model.output_activation(i)[0] in ("softmax", "sigmoid") and (classes or 0) > 1 and len(shape) == 2:
                for dense in _ancestors(model, out):  # a Dense on a feature map is a 1x1 conv, not a hidden Dense
                    if dense.class_name == "Dense" and dense.units < classes and dense.path not in flagged \
                            and model.channels(dense.path, dense.output_shape) is None:
                        flagged.add(dense.path)
                        yield self.finding(
                            f"hidden Dense {dense.path} has {dense.units} units but output {out} predicts "
                            f"{classes} classes: they must be told apart from {dense.units} features",
                            layer=dense.path, fix=f"give {dense.path} at least {classes} units")
