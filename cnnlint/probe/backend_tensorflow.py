"""TensorFlow-specific pieces of the probe: the device, the instrumented train step, OOM detection.

Keras 3's JAX and torch backends would get a module of the same shape (the seam is `load_backend`)."""
from __future__ import annotations

NAME = "tensorflow"


def np_prod(shape) -> int:
    total = 1
    for d in shape:
        total *= int(d)
    return total


def device() -> str:
    import tensorflow as tf

    return "GPU:0" if tf.config.list_logical_devices("GPU") else "CPU"


def is_oom(exc: BaseException) -> bool:
    import tensorflow as tf

    return isinstance(exc, (tf.errors.ResourceExhaustedError, MemoryError))


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
