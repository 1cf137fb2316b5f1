"""Running backend code inside a `tf.data` graph on JAX and PyTorch.

Keras layers compute with the backend's ops (`keras.ops`), which on the JAX
and PyTorch backends cannot take the symbolic tensors of a `tf.data`
function. Keras's own preprocessing layers switch their ops to TensorFlow
there through a private mechanism; with the public API the equivalent is to
run the backend computation eagerly on each batch through
`tf.py_function`, which is what `in_foreign_tf_graph` and
`run_in_tf_graph` do. TensorFlow is only touched when it is already
imported (a `tf.data` pipeline is running).
"""

import sys
import threading

# The eager calls share the layers' seed generators: one at a time, so two
# parallel `map` calls never read the same seed state.
_LOCK = threading.Lock()


def in_foreign_tf_graph(inputs):
    """Whether `inputs` is a symbolic TensorFlow tensor the backend cannot
    compute with (a `tf.data` function on the JAX or PyTorch backend)."""
    if "tensorflow" not in sys.modules:
        return False
    import keras

    if keras.backend.backend() == "tensorflow":
        return False
    import tensorflow as tf

    return isinstance(inputs, tf.Tensor) and not tf.executing_eagerly()


def run_in_tf_graph(function, inputs, dtype="float32"):
    """Applies the backend function `function` to a symbolic `tf.Tensor`.

    Args:
        function: maps a backend tensor to a backend tensor of the same
            shape, eagerly.
        inputs: a `tf.Tensor` inside a `tf.function` or `tf.data` map.
        dtype: dtype of the result. Defaults to `"float32"`.

    Returns:
        A `tf.Tensor` of `inputs`' static shape and `dtype`.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    def eager(batch):
        with _LOCK:
            tensor = keras.ops.convert_to_tensor(batch.numpy())
            result = keras.ops.convert_to_numpy(function(tensor))
        return np.asarray(result, dtype=dtype)

    outputs = tf.py_function(eager, [inputs], Tout=tf.as_dtype(dtype))
    outputs.set_shape(inputs.shape)
    return outputs
