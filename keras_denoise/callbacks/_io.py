"""File output shared by the callbacks: argument checks and chief detection.

The files themselves are written with `keras_denoise._files.atomic_write`.
"""

import json
import os
import sys

from keras_denoise._files import atomic_write  # noqa: F401 - re-exported


def validate_directory(directory, name="directory"):
    """Checks a directory argument and returns it as a string path."""
    if isinstance(directory, bytes) or not isinstance(
        directory, (str, os.PathLike)
    ):
        raise TypeError(
            f"`{name}` must be a path (str or os.PathLike). "
            f"Received: {name}={directory!r}"
        )
    directory = os.fspath(directory)
    if not directory:
        raise ValueError(
            f"`{name}` must be a non-empty path. Received: {name}={directory!r}"
        )
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ValueError(
            f"`{name}` must be a directory, but a file with that name exists. "
            f"Received: {name}={directory!r}"
        )
    return directory


def validate_filename(filename, name="filename"):
    """Checks a file-name pattern that is formatted with `epoch`."""
    if not isinstance(filename, str) or not filename:
        raise ValueError(
            f"`{name}` must be a non-empty string. "
            f"Received: {name}={filename!r}"
        )
    try:
        formatted = filename.format(epoch=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(
            f"`{name}` must be a format string whose only field is "
            f"`{{epoch}}`. Received: {name}={filename!r}"
        ) from error
    if os.path.basename(formatted) != formatted or formatted in (".", ".."):
        raise ValueError(
            f"`{name}` must be a file name without directories. "
            f"Received: {name}={filename!r}"
        )
    if not formatted.lower().endswith(".png"):
        raise ValueError(
            f"`{name}` must end in '.png'. Received: {name}={filename!r}"
        )
    return filename


def _chief_from_tf_config(tf_config):
    """Whether `TF_CONFIG` (a JSON string or `None`) names the chief task."""
    if not tf_config:
        return True
    try:
        config = json.loads(tf_config)
    except ValueError:
        return True
    task = config.get("task") or {}
    task_type = task.get("type")
    task_id = int(task.get("index", 0) or 0)
    cluster = config.get("cluster") or {}
    if task_type in (None, "chief", "master"):
        return True
    if task_type == "worker":
        has_chief = bool(cluster.get("chief") or cluster.get("master"))
        return not has_chief and task_id == 0
    # Evaluators, parameter servers and other task types never write.
    return False


def _strategy_is_chief(model):
    """Chief status from the model's `tf.distribute` strategy, or `None`."""
    if "tensorflow" not in sys.modules:
        return None
    strategy = getattr(model, "distribute_strategy", None)
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return None
    should_checkpoint = getattr(
        getattr(strategy, "extended", None), "should_checkpoint", None
    )
    if should_checkpoint is not None:
        return bool(should_checkpoint)
    cluster = resolver.cluster_spec().as_dict()
    task_type, task_id = resolver.task_type, resolver.task_id or 0
    if task_type in ("chief", "master"):
        return True
    if task_type == "worker":
        return not (cluster.get("chief") or cluster.get("master")) and (
            task_id == 0
        )
    return False


def _process_index():
    """Index of this process in a JAX or PyTorch multi-process job, or 0."""
    jax = sys.modules.get("jax")
    if jax is not None:
        try:
            return jax.process_index()
        except Exception:  # noqa: BLE001 - JAX without a backend yet.
            return 0
    torch = sys.modules.get("torch")
    if torch is not None:
        distributed = getattr(torch, "distributed", None)
        if (
            distributed is not None
            and distributed.is_available()
            and distributed.is_initialized()
        ):
            return distributed.get_rank()
    return 0


def is_chief(model=None):
    """Whether this process is the one that writes files.

    Under `tf.distribute.MultiWorkerMirroredStrategy` the chief is the task
    of type `"chief"`, or worker 0 when the cluster has no chief; the
    strategy of `model` (or `TF_CONFIG` when there is none) tells which task
    this is. In JAX and PyTorch multi-process jobs it is process 0. A single
    process is always the chief.

    Args:
        model: the model being trained, or `None`. Defaults to `None`.

    Returns:
        A Python boolean.
    """
    from_strategy = _strategy_is_chief(model)
    if from_strategy is not None:
        return from_strategy
    if not _chief_from_tf_config(os.environ.get("TF_CONFIG")):
        return False
    return _process_index() == 0
