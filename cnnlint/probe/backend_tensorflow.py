"""TensorFlow-specific pieces of the probe: the device, the instrumented train step, out-of-memory errors and
the GPU memory statistics of the CNN403 trials.

Keras 3's JAX and torch backends would get a module of the same shape (the seam is `runner.load_backend`):
NAME, device(), make_step() for the probe fit; gpu_present(), gpu_total_bytes() for the parent of the memory
trials; setup_trial_device(), is_oom(), reset_peak(), peak_bytes() inside a trial; rng_state(), set_rng_state(),
seed() for the global generator (cnnlint.rng gives the user's back). Importing this module is cheap:
each function imports TensorFlow itself.
"""
from __future__ import annotations

import os
import subprocess

NAME = "tensorflow"


def np_prod(shape) -> int:
    total = 1
    for d in shape:
        total *= int(d)
    return total


def device() -> str:
    import tensorflow as tf

    return "GPU:0" if tf.config.list_logical_devices("GPU") else "CPU"




def make_step(model, groups: list[list[int]]):
    """A train step on (x, y) that also returns, per group of trainable variables (one group a layer):
    the gradient L2 norm, the mean |gradient| and the update ratio |dW| / |W|."""
    import tensorflow as tf

    variables = model.trainable_variables
    sizes = [max(1, sum(int(np_prod(variables[i].shape)) for i in group)) for group in groups]

    def norm(tensors):
        squares = [tf.reduce_sum(tf.square(tf.cast(t, tf.float32))) for t in tensors if t is not None]
        return tf.sqrt(tf.add_n(squares)) if squares else tf.constant(0.0)

    @tf.function(jit_compile=False, reduce_retracing=True)
    def step(x, y):
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        grads = tape.gradient(loss, variables)
        before = [tf.identity(v) for v in variables]
        model.optimizer.apply_gradients([(g, v) for g, v in zip(grads, variables) if g is not None])
        grad_norms = tf.stack([norm([grads[i] for i in group]) for group in groups])
        mean_abs = tf.stack([
            tf.add_n([tf.reduce_sum(tf.abs(tf.cast(grads[i], tf.float32))) for i in group if grads[i] is not None]
                     or [tf.constant(0.0)]) / float(n) for group, n in zip(groups, sizes)])
        moved = tf.stack([norm([variables[i] - before[i] for i in group]) for group in groups])
        size = tf.stack([norm([before[i] for i in group]) for group in groups])
        return loss, grad_norms, mean_abs, moved / (size + 1e-12)

    return step


# --- memory (CNN403) ---------------------------------------------------------------------------------------------

def gpu_present() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def gpu_total_bytes() -> int | None:
    """Total memory of the first visible GPU, from nvidia-smi (TensorFlow has no API for it); None without one."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip() or "0"
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits",
                              "-i", visible], capture_output=True, text=True, timeout=10).stdout
        return int(float(out.split()[0])) * 2 ** 20
    except Exception:  # noqa: BLE001 - no nvidia-smi: the limit stays unknown
        return None


def setup_trial_device(device: str, limit: int | None) -> None:
    """In a trial, before any op: on a GPU, cap the allocator at `limit` or let it grow on demand (its peak is
    what counts)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if device != "gpu" or not gpus:
        return
    tf.config.set_visible_devices(gpus[0], "GPU")  # one device: the others would reserve memory too
    if limit:
        tf.config.set_logical_device_configuration(
            gpus[0], [tf.config.LogicalDeviceConfiguration(memory_limit=max(1, limit // 2 ** 20))])
    else:
        tf.config.experimental.set_memory_growth(gpus[0], True)


def is_oom(exc: BaseException) -> bool:
    import tensorflow as tf

    return isinstance(exc, (tf.errors.ResourceExhaustedError, MemoryError))


def reset_peak(device: str) -> None:
    """Start the GPU allocator's peak afresh (on a CPU the trial measures the process instead)."""
    if device == "gpu":
        import tensorflow as tf

        try:
            tf.config.experimental.reset_memory_stats("GPU:0")
        except (ValueError, RuntimeError):  # no GPU after all: the process measures
            pass


def peak_bytes(device: str) -> int | None:
    """TensorFlow's peak allocation on the GPU since reset_peak (weights and optimizer slots included); None on
    a CPU."""
    if device != "gpu":
        return None
    import tensorflow as tf

    try:
        return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])
    except (ValueError, RuntimeError):
        return None


def rng_state():
    """TensorFlow's global seed and the generator it derives op seeds from (no public getter: they live on the
    eager context), so that cnnlint can give the user's back after seeding its own work."""
    from tensorflow.python.eager import context
    from tensorflow.python.framework import ops

    ctx = context.context()
    rng = getattr(ctx, "_rng", None)
    return getattr(ctx, "_seed", None), rng.getstate() if rng is not None else None, ops.get_default_graph().seed


def set_rng_state(state) -> None:
    import random

    from tensorflow.python.eager import context
    from tensorflow.python.framework import ops

    seed, rng, graph_seed = state
    ctx = context.context()
    ctx._seed = seed
    if rng is None:
        ctx._rng = None
    else:
        ctx._rng = random.Random()
        ctx._rng.setstate(rng)
    ops.get_default_graph().seed = graph_seed


def seed(value: int) -> None:
    import tensorflow as tf

    tf.random.set_seed(value)
