"""Facts read the structures the issue names: multi-input/multi-output, nested models, Conv1D/Conv3D,
depthwise/separable convs, global pooling, padding="same" and channels_first."""
import numpy as np

import cnnlint
from cnnlint.facts.extract import extract


def multi_io_model():
    import keras
    from keras import layers

    backbone = keras.Sequential([keras.Input((16, 16, 3)), layers.SeparableConv2D(8, 3, padding="same", name="sep"),
                                 layers.DepthwiseConv2D(3, strides=2, name="dw"), layers.ReLU(name="act")],
                                name="backbone")
    image, volume = keras.Input((16, 16, 3), name="image"), keras.Input((2, 8, 8, 8), name="volume")
    a = layers.GlobalAveragePooling2D(name="gap")(backbone(image))
    v = layers.Conv3D(4, 3, padding="same", data_format="channels_first", name="c3d")(volume)
    v = layers.GlobalMaxPooling3D(data_format="channels_first", name="gmp")(v)
    t = layers.Conv1D(4, 3, name="c1d")(layers.Reshape((16, 48), name="rows")(image))
    joined = layers.Concatenate(name="cat")([a, v, layers.GlobalAveragePooling1D(name="gap1")(t)])
    cls = layers.Dense(5, activation="softmax", name="cls")(joined)
    box = layers.Dense(4, name="box")(joined)
    model = keras.Model([image, volume], [cls, box])
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    return model


def test_multi_input_multi_output_nested_and_channels_first():
    model = multi_io_model()
    rng = np.random.default_rng(0)
    x = [rng.random((8, 16, 16, 3), dtype=np.float32), rng.random((8, 2, 8, 8, 8), dtype=np.float32)]
    y = [rng.integers(0, 5, 8), rng.random((8, 4), dtype=np.float32)]
    facts = extract("t", model, x, y)
    m = facts.model
    assert m.input_shapes == ((None, 16, 16, 3), (None, 2, 8, 8, 8))
    assert m.output_layers == ("cls", "box") and m.output_shapes == ((None, 5), (None, 4))
    assert [m.output_activation(i) for i in (0, 1)] == [("softmax", "cls"), ("linear", "box")]
    assert [lay.path for lay in m.layers if lay.path.startswith("backbone/")] == \
        ["backbone/sep", "backbone/dw", "backbone/act"]
    assert m.layer("gap").inbound == ("backbone/act",)  # the graph runs through the nested model
    assert m.spatial("c3d", m.layer("c3d").output_shape) == (8, 8, 8)  # channels_first: axes 2..4
    assert m.channels("c3d", m.layer("c3d").output_shape) == 4
    assert m.spatial("backbone/dw", m.layer("backbone/dw").output_shape) == (7, 7)
    assert m.layer("cat").is_merge and m.layer("c1d").output_shape == (None, 14, 4)
    assert [lf.name for lf in facts.compile.losses] == ["sparse_categorical_crossentropy", "mean_squared_error"]
    assert [a.shape for a in facts.batch.inputs] == [(8, 16, 16, 3), (8, 2, 8, 8, 8)]
    assert facts.batch.labels[0].classes == tuple(sorted(set(y[0].tolist())))
    report = cnnlint.check(model, x, y, config={})
    assert not {"CNN901", "CNN902"} & report.codes(), report
