"""ModelFacts: every layer of a built Keras model in order, nested models walked, as plain data."""
from __future__ import annotations

from dataclasses import dataclass, field

PASS_THROUGH = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                "GaussianDropout", "AlphaDropout", "Flatten", "Reshape", "Identity", "ActivityRegularization",
                # resampling and rearranging keep a softmax a softmax (a convex mix of distributions is one)
                "Permute", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Resizing", "Cropping1D", "Cropping2D",
                "Cropping3D", "CenterCrop"}
ACTIVATION_LAYERS = {"Softmax": "softmax", "ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu",
                     "PReLU": "prelu"}
CONV_DENSE = {"Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
              "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"}
CONVS = CONV_DENSE - {"Dense"}
DROPOUTS = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "AlphaDropout"}
# layers that join two or more inputs; a keras.ops call (`x + y`) is listed under the same class name
MERGE = {"Add", "Concatenate", "Multiply", "Average", "Maximum", "Minimum", "Subtract", "Dot"}
NORMALIZATION = {"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
                 "RMSNormalization"}
# layers that keep each channel to itself
PER_CHANNEL = PASS_THROUGH | {"ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Activation", "ReLU", "LeakyReLU"}
# layers that may sit between a layer and a model output without making it a hidden layer
TOWARD_OUTPUT = PASS_THROUGH | set(ACTIVATION_LAYERS) | {"Activation", "ExpandDims", "Squeeze"}
REGULARIZER_KEYS = ("kernel_regularizer", "bias_regularizer", "activity_regularizer",
                    "depthwise_regularizer", "pointwise_regularizer")


@dataclass(frozen=True)
class LayerFacts:
    path: str  # "backbone/conv2d_3" for a layer inside a nested model
    name: str
    class_name: str
    index: int  # position in ModelFacts.layers
    activation: str | None = None
    units: int | None = None
    filters: int | None = None
    kernel_size: tuple | None = None
    strides: tuple | None = None
    pool_size: tuple | None = None
    padding: str | None = None
    data_format: str | None = None
    rate: float | None = None
    input_shape: tuple | list | None = None
    output_shape: tuple | list | None = None
    params: int = 0
    trainable_params: int = 0
    kernel_initializer: str | None = None
    regularizers: dict = field(default_factory=dict)  # kind -> {"l1": f, "l2": f}
    inbound: tuple = ()  # paths of the layers feeding this one
    is_input: bool = False
    is_model: bool = False  # a nested model; its layers follow it with its path as prefix
    is_output: bool = False
    is_op: bool = False  # a keras.ops call in a functional graph (`x + 3`, `keras.ops.add(x, y)`), not a layer
    trainable: bool = True
    config: dict = field(default_factory=dict)
    # the weights the layer holds, not its config: every kernel value equal (Conv/Dense), and for
    # BatchNormalization whether its moving statistics moved from their initial 0/1 (trained, e.g. pretrained)
    kernel_constant: bool = False
    bias_varies: bool = False  # the bias holds different values per unit (an identity bias, copied-in weights)
    bn_trained: bool | None = None
    call_training: bool | None = None  # a nested model called with training=False/True in the outer graph
    inner: tuple = ()  # class names of the sublayers of a custom (non-Model) layer, recursively
    inner_regularized: bool = False  # one of those sublayers has a kernel/activity regularizer

    @property
    def has_weights(self) -> bool:
        return self.trainable_params > 0

    @property
    def is_conv(self) -> bool:
        return self.class_name in CONVS

    @property
    def is_merge(self) -> bool:
        """A merge of two or more distinct inputs (a skip connection), not a keras.ops `x + 3`."""
        return self.class_name in MERGE and len(set(self.inbound)) > 1

    @property
    def has_window(self) -> bool:
        """A conv or a local (not global) pooling layer."""
        return self.is_conv or "Pooling" in self.class_name and not self.class_name.startswith("Global")

    @property
    def shrinks(self) -> bool:
        """May make the feature map smaller: a conv, local pooling, or any stride > 1."""
        return not self.is_input and (self.has_window or max(self.strides or (1,)) > 1)

    def channels(self, shape=None) -> int | None:
        """Channels (units) in one of this layer's shapes (default: its output), by its data_format (a Dense
        reads its last axis). `ModelFacts.channels` also knows the format of layers that have none."""
        shape = self.output_shape if shape is None else shape
        return _channels(shape, self.class_name != "Dense" and self.data_format == "channels_first", 2)


@dataclass(frozen=True)
class ModelFacts:
    name: str
    class_name: str
    kind: str  # "sequential", "functional" or "subclassed"
    layers: tuple[LayerFacts, ...]
    input_shapes: tuple  # per model input, batch axis included
    output_shapes: tuple
    output_layers: tuple[str, ...]  # paths of the layers that produce the model outputs
    params: int
    trainable_params: int
    graph_known: bool = True
    custom_train_step: bool = False  # the model class overrides train_step (its own loss and update)

    @property
    def trainable_share(self) -> float:
        """The share of the parameters that train (a head on a frozen base trains a small share)."""
        return self.trainable_params / self.params if self.params else 0.0

    @property
    def stochastic(self) -> list[LayerFacts]:
        """Layers that change their output at random in training: dropout, noise, random augmentation."""
        return [lay for lay in self.leaves if lay.class_name in DROPOUTS and (lay.rate or 0) > 0
                or lay.class_name in ("GaussianNoise", "GaussianDropout") or lay.class_name.startswith("Random")
                or any(name in DROPOUTS or name.startswith("Random") for name in lay.inner)]

    def nested(self) -> list[LayerFacts]:
        return [lay for lay in self.layers if lay.is_model]

    def inside(self, path: str) -> list[LayerFacts]:
        """The layers inside the nested model at `path`."""
        return [lay for lay in self.layers if lay.path.startswith(path + "/")]

    def is_pretrained(self, path: str) -> bool:
        """The nested model at `path` holds trained BatchNormalization statistics (pretrained weights)."""
        return any(lay.bn_trained for lay in self.inside(path))

    @property
    def pretrained(self) -> list[LayerFacts]:
        """Nested models whose BatchNormalization statistics are trained: pretrained backbones."""
        return [lay for lay in self.nested() if self.is_pretrained(lay.path)]

    def foreign(self, path: str) -> bool:
        """Is the layer at `path` inside a nested model the user reuses rather than writes: a pretrained or a
        frozen backbone? Design rules do not report patterns there."""
        parts = path.split("/")
        for depth in range(1, len(parts)):
            owner = self.get("/".join(parts[:depth]))
            if owner is not None and owner.is_model and (not owner.trainable or self.is_pretrained(owner.path)):
                return True
        return False

    @property
    def leaves(self) -> list[LayerFacts]:
        """Layers that compute something: no InputLayer, no nested-model container."""
        return [lay for lay in self.layers if not lay.is_input and not lay.is_model]

    def layer(self, path: str) -> LayerFacts:
        return self._by_path[path]

    @property
    def _by_path(self) -> dict:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = {lay.path: lay for lay in self.layers}
            object.__setattr__(self, "_cache", cache)
        return cache

    def input_layer(self, input_index: int = 0) -> LayerFacts | None:
        """The layer where model input `input_index` enters: its InputLayer, else (Sequential) the first leaf."""
        inputs = [lay for lay in self.layers if lay.is_input and "/" not in lay.path]
        if len(inputs) == len(self.input_shapes) and input_index < len(inputs):
            return inputs[input_index]
        leaves = self.leaves
        return leaves[0] if leaves and input_index == 0 else None

    def input_consumer(self, input_index: int = 0) -> LayerFacts | None:
        """The first computing layer that model input `input_index` feeds."""
        entry = self.input_layer(input_index)
        if entry is None or not entry.is_input:
            return entry
        return next((lay for lay in self.leaves if entry.path in lay.inbound), None)

    def get(self, path: str) -> LayerFacts | None:
        return self._by_path.get(path)

    def consumers(self, path: str) -> list[LayerFacts]:
        table = self.__dict__.get("_consumers")
        if table is None:
            table = {}
            for lay in self.layers:
                for src in dict.fromkeys(lay.inbound):
                    table.setdefault(src, []).append(lay)
            object.__setattr__(self, "_consumers", table)
        return table.get(path, [])

    def readers(self, path: str) -> list[LayerFacts]:
        """The layers that read `path`'s output (nested-model containers left out)."""
        return [lay for lay in self.consumers(path) if not lay.is_model]

    def has_unlisted_nodes(self) -> bool:
        """Does the graph read nodes the facts do not list? Then `consumers()` may miss readers."""
        return any(self.get(p) is None for lay in self.layers for p in lay.inbound) or any(
            self.get(p) is None for p in self.output_layers)

    def shape_trail(self, upto_path: str | None = None) -> str:
        """The spatial size along the path from the input to `upto_path` (default: the last layer), one entry
        per conv/pool/stride layer that changes it: "32 -> 30 -> 15 -> 6 -> 2 -> 1". Merges follow their first
        input."""
        end = upto_path or (self.layers[-1].path if self.layers else "")
        chain = [x for x in reversed(self.upstream(end)) if not x.is_model]
        sizes = []
        for i, lay in enumerate(chain):
            shapes = ([lay.output_shape if lay.is_input else lay.input_shape] if i == 0 else []) + (
                [lay.output_shape] if lay.shrinks else [])
            spatial = [self.spatial(end, shp) for shp in shapes]
            for dims in [[str(d).replace("None", "?") for d in dims] for dims in spatial if dims]:
                size = dims[0] if len(set(dims)) == 1 else "x".join(dims)
                sizes += [size] if not sizes or sizes[-1] != size else []
        return " -> ".join(sizes)

    def path_to_output(self, path: str) -> list[LayerFacts] | None:
        """The layers after `path` up to a model output when only TOWARD_OUTPUT layers lie between (empty
        when `path` is an output itself); None when `path` is a hidden layer. A layer nothing reads counts
        as an output."""
        chain, cur = [], self.layer(path)
        while cur.path not in self.output_layers:
            after = self.readers(cur.path)
            if not after:
                return chain
            if len(after) != 1 or not (after[0].is_input or after[0].class_name in TOWARD_OUTPUT):
                return None
            cur = after[0]
            chain.append(cur)
        return chain

    def normalized_after(self, path: str) -> str | None:
        """The trainable BatchNormalization that alone reads the linear conv/dense layer at `path` (it
        normalizes whatever scale that layer's input has), the layer itself when it is a BatchNormalization,
        or None."""
        lay = self.get(path)
        if lay is not None and lay.class_name == "BatchNormalization" and lay.trainable:
            return path
        if lay is None or not lay.is_conv and lay.class_name != "Dense" or (lay.activation or "linear") != "linear":
            return None
        readers = self.readers(path)
        if len(readers) == 1 and readers[0].class_name == "BatchNormalization" and readers[0].trainable:
            return readers[0].path
        return None

    def merges_per_channel(self, path: str) -> bool:
        """Does the layer's output reach an elementwise merge (a residual Add, FCN's score fusion) with each unit
        on its own channel (through resampling, padding, activations)? The merge's other input then gives every
        unit its own gradient."""
        cur = path
        for _ in range(len(self.layers)):
            after = self.readers(cur)
            if len(after) != 1:
                return False
            if after[0].is_merge and after[0].class_name in ("Add", "Subtract", "Average", "Multiply"):
                return True
            if not after[0].is_input and after[0].class_name not in PER_CHANNEL:
                return False
            cur = after[0].path
        return False

    def upstream(self, path: str) -> list[LayerFacts]:
        """The layer at `path` and the layers before it along first inputs (a merge follows its first input)."""
        chain, lay = {}, self.get(path)
        while lay is not None and lay.path not in chain:
            chain[lay.path] = lay
            lay = self.get(lay.inbound[0]) if lay.inbound else None
        return list(chain.values())

    def data_format(self, path: str) -> str:
        """The layer's data_format, else that of the nearest layer upstream that has one (normalization,
        merges and activations have none); "channels_last" when none does."""
        cache = self.__dict__.setdefault("_formats", {})
        walked, lay = [], self.get(path)
        while lay is not None and lay.path not in cache and not lay.data_format and lay.inbound:
            walked.append(lay.path)
            lay = self.get(lay.inbound[0])
            if lay is not None and lay.path in walked:
                break
        found = (cache.get(lay.path) if lay is not None and lay.path in cache else
                 (lay.data_format if lay is not None else None)) or "channels_last"
        for step in walked:
            cache[step] = found
        return found

    def spatial(self, path: str, shape) -> tuple | None:
        """The spatial dims of `shape` (one of the layer's shapes, batch axis first) by `data_format(path)`;
        None when it has no spatial axes (rank < 3)."""
        if isinstance(shape, tuple) and len(shape) >= 3:
            return shape[2:] if self.data_format(path) == "channels_first" else shape[1:-1]
        return None

    def channels(self, path: str, shape) -> int | None:
        """The channels of `shape` (one of the layer's shapes) by `data_format(path)`; None when it has no
        spatial axes (rank < 3)."""
        return _channels(shape, self.data_format(path) == "channels_first", 3)

    def output_activation(self, output_index: int = 0) -> tuple[str, str]:
        """(activation, layer path) that shapes a model output, looking back through pass-through layers."""
        lay = self.layer(self.output_layers[output_index])
        while lay.activation is None and len(lay.inbound) == 1 and lay.class_name in PASS_THROUGH:
            lay = self.layer(lay.inbound[0])
        return (lay.activation or "linear", lay.path)

    def output_units(self, output_index: int = 0) -> int | None:
        shape = self.output_shapes[output_index]
        return shape[-1] if shape else None


def _channels(shape, channels_first: bool, min_rank: int) -> int | None:
    if not isinstance(shape, tuple) or len(shape) < min_rank:
        return None
    return shape[1] if channels_first else shape[-1]


def _shape(tensor_or_list):
    if isinstance(tensor_or_list, (list, tuple)) and tensor_or_list and not isinstance(tensor_or_list[0], (int, type(None))):
        return [_shape(t) for t in tensor_or_list]
    shape = getattr(tensor_or_list, "shape", tensor_or_list)
    return tuple(None if d is None else int(d) for d in shape)


def _layer_io(layer, attr):
    try:
        return _shape(getattr(layer, attr))
    except Exception:  # unbuilt, or a shared layer called more than once
        return None


def _class_of(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get("class_name")
    return str(value)


def _activation(layer_class: str, config: dict) -> str | None:
    if layer_class in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[layer_class]
    act = config.get("activation")
    if act is None:
        return None
    if isinstance(act, dict):
        inner = act.get("config")
        return (inner if isinstance(inner, str) else act.get("class_name", "custom")).lower()
    return str(act).lower()


def _regularizers(config: dict) -> dict:
    found = {}
    for key in REGULARIZER_KEYS:
        value = config.get(key)
        if isinstance(value, dict):
            inner = value.get("config", {}) or {}
            found[key.replace("_regularizer", "")] = {
                "class_name": value.get("class_name"),
                "l1": float(inner.get("l1", 0.0) or 0.0), "l2": float(inner.get("l2", 0.0) or 0.0)}
    return found


def _tuple(value):
    if value is None:
        return None
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _histories(node) -> list[str]:
    """Layer names in a serialized inbound node (any nesting of args/kwargs)."""
    names = []
    if isinstance(node, dict):
        history = node.get("config", {}).get("keras_history") if node.get("class_name") == "__keras_tensor__" else None
        if history:
            names.append(history[0])
        else:
            for value in node.values():
                names += _histories(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            names += _histories(value)
    return names


def _count(weights) -> int:
    total = 0
    for w in weights:
        size = 1
        for d in w.shape:
            size *= int(d)
        total += size
    return total


class _Walker:
    def __init__(self):
        self.layers: list[LayerFacts] = []
        self.objects: dict[str, object] = {}  # path -> keras layer (for facts that must run layers)
        self.exits: dict[str, tuple] = {}  # nested-model path -> paths of its output layers
        self.training_kwargs: dict[str, bool] = {}  # nested-model path -> the training= of its outer call

    def walk(self, model, prefix: str, entry: tuple) -> tuple[str, ...]:
        """Add the layers of `model`; return the paths of its output layers."""
        import keras

        kind = _kind(model)
        graph = {}
        outputs = []
        if kind == "functional":
            cfg = model.get_config()
            graph = {c["name"]: _histories(c.get("inbound_nodes", [])) for c in cfg.get("layers", [])}
            for c in cfg.get("layers", []):
                training = _training_kwarg(c.get("inbound_nodes", []))
                if training is not None:
                    self.training_kwargs[prefix + c["name"]] = training
            outputs = [o[0] for o in _output_refs(cfg.get("output_layers", []))]
        previous: tuple = entry
        for layer in model.operations if kind == "functional" else model.layers:  # keras.ops calls too
            path = prefix + layer.name
            if kind == "functional":
                inbound = tuple(self.exits.get(prefix + n, (prefix + n,)) for n in graph.get(layer.name, []))
                inbound = tuple(p for group in inbound for p in group) or entry
            else:
                inbound = previous
            self._add(layer, path, inbound, keras)
            if isinstance(layer, keras.Model):
                self.exits[path] = self.walk(layer, path + "/", inbound)
                previous = self.exits[path]
            else:
                previous = (path,)
        if kind == "functional":
            return tuple(p for n in outputs for p in self.exits.get(prefix + n, (prefix + n,)))
        return previous

    def _add(self, layer, path, inbound, keras):
        config = _config(layer, keras)
        cls = type(layer).__name__
        is_input = cls == "InputLayer"
        self.objects[path] = layer
        self.layers.append(LayerFacts(
            path=path, name=layer.name, class_name=cls, index=len(self.layers),
            activation=_activation(cls, config), units=config.get("units"), filters=config.get("filters"),
            kernel_size=_tuple(config.get("kernel_size")), strides=_tuple(config.get("strides")),
            pool_size=_tuple(config.get("pool_size")), padding=config.get("padding"),
            data_format=config.get("data_format"), rate=config.get("rate"),
            input_shape=None if is_input else _layer_io(layer, "input"),
            output_shape=_layer_io(layer, "output"),
            params=_count(getattr(layer, "weights", ())),
            trainable_params=_count(getattr(layer, "trainable_weights", ())),
            kernel_initializer=_class_of(config.get("kernel_initializer") or config.get("depthwise_initializer")),
            regularizers=_regularizers(config), inbound=tuple(inbound),
            is_input=is_input, is_model=isinstance(layer, keras.Model), is_op=not isinstance(layer, keras.Layer),
            trainable=bool(getattr(layer, "trainable", False)),
            config=config, kernel_constant=_kernel_constant(layer),
            bias_varies=_varies(getattr(layer, "bias", None)) if cls in CONV_DENSE else False, bn_trained=_bn_trained(layer),
            call_training=self.training_kwargs.get(path), **_inner(layer, keras)))


def _training_kwarg(nodes) -> bool | None:
    for node in nodes if isinstance(nodes, list) else []:
        kwargs = node.get("kwargs", {}) if isinstance(node, dict) else {}
        if isinstance(kwargs.get("training"), bool):
            return kwargs["training"]
    return None


KERNEL_ATTRS = ("kernel", "depthwise_kernel", "pointwise_kernel")


def _kernel_constant(layer) -> bool:
    """Every value of one of the layer's kernels is the same (zeros, ones, a constant), read from the weights."""
    import numpy as np

    for attr in KERNEL_ATTRS:
        var = getattr(layer, attr, None) if type(layer).__name__ in CONV_DENSE else None
        if var is None or not hasattr(var, "shape"):
            continue
        try:
            values = np.asarray(var)
        except Exception:  # noqa: BLE001 - a kernel we cannot read
            continue
        if values.size > 1 and values.min() == values.max():
            return True
    return False


def _varies(var) -> bool:
    import numpy as np

    try:
        values = np.asarray(var) if var is not None and hasattr(var, "shape") else None
    except Exception:  # noqa: BLE001
        return False
    return bool(values is not None and values.size > 1 and values.min() != values.max())


def _bn_trained(layer) -> bool | None:
    """For BatchNormalization: do the moving statistics differ from their initial 0 (mean) and 1 (variance)?"""
    if type(layer).__name__ != "BatchNormalization" or getattr(layer, "moving_mean", None) is None:
        return None
    import numpy as np

    try:
        mean, var = np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)
    except Exception:  # noqa: BLE001
        return None
    return bool(np.abs(mean).max(initial=0) > 1e-6 or np.abs(var - 1).max(initial=0) > 1e-6)


def sublayers(layer, keras, seen=None) -> list:
    """The layers a custom layer holds as attributes (lists, tuples and dicts of them too), recursively."""
    seen = set() if seen is None else seen
    found = []
    values = list(vars(layer).values()) if not isinstance(layer, keras.Model) else []
    while values:
        value = values.pop(0)
        if isinstance(value, (list, tuple)):
            values[:0] = list(value)
        elif isinstance(value, dict):
            values[:0] = list(value.values())
        elif isinstance(value, keras.Layer) and id(value) not in seen and value is not layer:
            seen.add(id(value))
            found.append(value)
            found += sublayers(value, keras, seen)
    return found


def _inner(layer, keras) -> dict:
    if isinstance(layer, keras.Model) or type(layer).__module__.startswith("keras"):
        return {}
    inner = sublayers(layer, keras)
    if not inner:
        return {}
    regularized = any(_regularizers(_config(sub, keras)) for sub in inner)
    return {"inner": tuple(type(sub).__name__ for sub in inner), "inner_regularized": regularized}


def _config(layer, keras) -> dict:
    if isinstance(layer, keras.Model):
        return {"name": layer.name}
    try:
        return layer.get_config()
    except Exception:  # a keras.ops node or a custom layer without a config
        return {"name": layer.name}


def _output_refs(refs):
    if isinstance(refs, dict):  # dict outputs: Keras orders model.outputs by sorted key
        refs = [refs[k] for k in sorted(refs)]
    # a single output may be serialized as one [name, node, tensor] triple instead of a list of them
    if refs and isinstance(refs[0], str):
        return [refs]
    return refs


def _kind(model) -> str:
    import keras

    if isinstance(model, keras.Sequential):
        return "sequential"
    if type(model).__name__ == "Functional" or "input_layers" in _safe_config(model):
        return "functional"
    return "subclassed"


def _safe_config(model) -> dict:
    try:
        return model.get_config() or {}
    except Exception:
        return {}


def extract_model(model) -> tuple[ModelFacts, dict]:
    """ModelFacts for a built model, and a path -> layer map for facts that must run layers."""
    walker = _Walker()
    outputs = walker.walk(model, "", ())
    kind = _kind(model)
    if kind != "functional":
        outputs = outputs[-1:] if outputs else ()
    layers = [lay if lay.path not in outputs else _with_output(lay) for lay in walker.layers]
    inputs = tuple(_shape(t) for t in (model.inputs or [])) if kind != "subclassed" else ()
    out_shapes = tuple(_shape(t) for t in (model.outputs or [])) if kind != "subclassed" else ()
    if not out_shapes and layers:
        out_shapes = (layers[-1].output_shape,)
    if not inputs and layers:
        first = next((lay for lay in layers if lay.input_shape is not None), None)
        inputs = (first.input_shape,) if first else ()
    facts = ModelFacts(
        name=model.name, class_name=type(model).__name__, kind=kind, layers=tuple(layers),
        input_shapes=inputs, output_shapes=out_shapes, output_layers=tuple(outputs),
        params=_count(model.weights), trainable_params=_count(model.trainable_weights),
        graph_known=kind != "subclassed", custom_train_step=_custom_train_step(model))
    return facts, walker.objects


def _custom_train_step(model) -> bool:
    import keras

    return getattr(type(model), "train_step", None) is not getattr(keras.Model, "train_step", None)


def _with_output(lay: LayerFacts) -> LayerFacts:
    from dataclasses import replace

    return replace(lay, is_output=True)
