"""`setup_worker`: one process of a multi-worker training job."""

import numbers
import os

import keras

_BACKENDS = ("tensorflow", "jax")


def _addresses(cluster):
    if isinstance(cluster, str):
        entries = [entry.strip() for entry in cluster.split(",")]
    elif isinstance(cluster, (list, tuple)):
        if not all(isinstance(entry, str) for entry in cluster):
            raise TypeError(
                "`cluster` must hold 'HOST:PORT' strings. "
                f"Received: cluster={cluster!r}"
            )
        entries = [entry.strip() for entry in cluster]
    else:
        raise TypeError(
            "`cluster` must be a list of 'HOST:PORT' strings or one "
            "comma-separated string. "
            f"Received: cluster={cluster!r} of type {type(cluster).__name__}"
        )
    if not entries:
        raise ValueError(f"`cluster` must not be empty. Received: {cluster!r}")
    for entry in entries:
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(
                "`cluster` entries must be 'HOST:PORT' with a port in "
                f"1-65535. Received: {entry!r} in cluster={cluster!r}"
            )
    if len(set(entries)) != len(entries):
        raise ValueError(
            f"`cluster` names an address twice. Received: cluster={cluster!r}"
        )
    return entries


def setup_worker(cluster=None, task_index=None, timeout=None):
    """Joins this process to a multi-worker job; returns its distribution.

    Every worker runs the same script with the same `cluster` and its own
    `task_index`, then builds, compiles and trains the model inside the
    returned object's `scope()` with a plain `model.fit`. Worker 0 is the
    chief: the package's callbacks write their files from it only (give
    `keras.callbacks.BackupAndRestore` one directory per worker).

    - TensorFlow: a `tf.distribute.MultiWorkerMirroredStrategy` for the
      cluster, with every local device of this worker as a replica. Create
      it before anything else uses TensorFlow. It reduces `fit`'s values
      one at a time, which works around keras-team/keras#20585 (`fit` under
      this strategy fails with "Attempt to convert a value (PerReplica:{"
      otherwise); see the distributed-training guide.
    - JAX: `jax.distributed.initialize` with the first address as the
      coordinator (CPU collectives through gloo) and one random seed for
      all processes, as `keras.distribution.initialize` does (call
      `keras.utils.set_random_seed` afterwards to choose the seed), then a
      `keras.distribution.DataParallel` over the devices of all processes.
      Call it before anything else uses JAX.

    Pass `fit` a `tf.data.Dataset` batched with the **global** batch size:
    both backends give each worker its share of every batch, so one step
    equals a one-process step on the whole batch.

    Args:
        cluster: the addresses of all workers, `["HOST:PORT", ...]` or one
            comma-separated string, the same list and order on every worker;
            `None` for the cluster of `TF_CONFIG` on TensorFlow (this process
            alone without it) and this process alone on JAX. Defaults to
            `None`.
        task_index: this worker's position in `cluster` (0 is the chief);
            `None` only with `cluster=None`. Defaults to `None`.
        timeout: seconds a worker waits for the others (joining the job on
            JAX, each collective operation on TensorFlow) before it fails,
            or `None` for the backend's default. Defaults to `None`.

    Returns:
        A `tf.distribute.MultiWorkerMirroredStrategy` (TensorFlow) or a
        `keras.distribution.DataParallel` (JAX); both have `scope()`.

    Raises:
        TypeError: if `cluster`, `task_index` or `timeout` has a wrong type.
        ValueError: if an address is not `HOST:PORT`, `task_index` is out
            of range, `timeout` is not positive, or the backend is neither
            TensorFlow nor JAX.

    Example:

    ```python
    import keras_denoise

    # On machine A (chief) with task_index=0, on machine B with 1:
    distribution = keras_denoise.distribute.setup_worker(
        ["machine-a:12345", "machine-b:12345"], task_index=0
    )
    with distribution.scope():
        model = keras_denoise.models.conv_autoencoder((28, 28, 1))
        model.compile(optimizer="adam", loss="mse")
        model.fit(dataset, epochs=10)  # dataset batched globally
    ```
    """
    if cluster is None:
        if task_index is not None:
            raise ValueError(
                "`task_index` needs a `cluster`. "
                f"Received: cluster=None, task_index={task_index!r}"
            )
        addresses, task_index = None, 0
    else:
        addresses = _addresses(cluster)
    if addresses is None:
        pass
    elif isinstance(task_index, bool) or not isinstance(
        task_index, numbers.Integral
    ):
        raise TypeError(
            "`task_index` must be an integer. "
            f"Received: task_index={task_index!r}"
        )
    elif not 0 <= task_index < len(addresses):
        raise ValueError(
            f"`task_index` must be in [0, {len(addresses) - 1}] for a "
            f"cluster of {len(addresses)}. Received: task_index={task_index}"
        )
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
            raise TypeError(
                f"`timeout` must be a number or None. Received: {timeout!r}"
            )
        if not timeout > 0:
            raise ValueError(
                f"`timeout` must be positive. Received: timeout={timeout}"
            )
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_worker(addresses, int(task_index), timeout)
    if backend == "jax":
        return _jax_worker(addresses, int(task_index), timeout)
    raise ValueError(
        f"`setup_worker` supports the backends {_BACKENDS}. "
        f"Received: keras.backend.backend()={backend!r}"
    )


def _tensorflow_worker(addresses, task_index, timeout):
    import tensorflow as tf

    from keras_denoise.distribute._keras_20585 import (
        NestedReduceMultiWorkerMirroredStrategy,
    )

    resolver = None
    if addresses is not None:
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec({"worker": addresses}),
            task_type="worker",
            task_id=task_index,
            rpc_layer="grpc",
        )
    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=timeout
    )
    return NestedReduceMultiWorkerMirroredStrategy(
        cluster_resolver=resolver, communication_options=options
    )


def _jax_worker(addresses, task_index, timeout):
    if addresses is None:
        return keras.distribution.DataParallel(
            devices=keras.distribution.list_devices()
        )
    import jax
    import numpy as np
    from jax.experimental import multihost_utils

    # Gloo gives the CPU devices of different processes their collectives
    # (the default in recent JAX, set for older ones).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    seconds = {}
    if timeout is not None:
        seconds = {
            "initialization_timeout": max(1, int(timeout)),
            "heartbeat_timeout_seconds": max(1, int(timeout)),
        }
    # What `keras.distribution.initialize` does, with JAX's timeouts: the
    # first address is the coordinator, and every process draws its random
    # numbers from one seed (or they would start from different weights).
    jax.distributed.initialize(
        coordinator_address=addresses[0],
        num_processes=len(addresses),
        process_id=task_index,
        **seconds,
    )
    seed = np.frombuffer(os.urandom(4), dtype=np.uint32)
    seed = multihost_utils.broadcast_one_to_all(seed)
    keras.utils.set_random_seed(int(np.asarray(seed)[0]) % (2**31))
    devices = keras.distribution.list_devices()
    return keras.distribution.DataParallel(devices=devices)
