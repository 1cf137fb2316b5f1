"""One worker of a two-process `fit`, or the one-process reference.

Usage: `python multi_worker_script.py OUT_DIR [CLUSTER TASK_INDEX [plain]]`.

With `CLUSTER` ("HOST:PORT,HOST:PORT") the process joins a multi-worker job
through `keras_denoise.distribute.setup_worker` (TensorFlow's
`MultiWorkerMirroredStrategy` or JAX's `DataParallel` across processes,
after `KERAS_BACKEND`); without it, it is the single-process reference.
Either way it trains, with plain `fit` on `tf.data` datasets batched with
the same global batch size, from the same initial weights: a conv
autoencoder, a VAE with `KLAnnealing`, `ImageGrid` and `LatentSpacePlot`
(writing under OUT_DIR/written) and a dual-output model with an
`ImageGrid`. It writes `OUT_DIR/result.json` and `OUT_DIR/weights.npz`.

With `plain` (TensorFlow), the worker only checks whether `fit` under
TensorFlow's own `MultiWorkerMirroredStrategy` still fails
(keras-team/keras#20585) and writes the error's type, the two ends of its
message and its traceback to `OUT_DIR/plain_fit.json`. It runs in
processes of its own: two strategies in one process would reuse each
other's collective keys.
"""

import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_denoise import callbacks  # noqa: E402
from keras_denoise import distribute  # noqa: E402
from keras_denoise import layers  # noqa: E402

EPOCHS, BATCH = 3, 8
BACKEND = keras.backend.backend()


def _dataset(distribution, x, y=None):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(
        x if y is None else (x, y)
    ).batch(BATCH)
    if BACKEND == "tensorflow" and distribution is not None:
        # In-memory data has no files to shard: give each worker its share
        # of every batch without the fallback's warning.
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA
        )
        dataset = dataset.with_options(options)
    return dataset


def _scope(distribution):
    if distribution is None:
        import contextlib

        return contextlib.nullcontext()
    return distribution.scope()


def _trainable(model):
    return [
        np.array(keras.ops.convert_to_numpy(v)) for v in model.trainable_weights
    ]


def _fit(distribution, build, compile_kwargs, x, y=None, extra=()):
    """Builds from the shared seed, trains with `fit`, returns its record."""
    with _scope(distribution):
        keras.utils.set_random_seed(_common.SEED)
        model = build()
        initial = _trainable(model)
        # The optimizer too must be made inside the scope.
        model.compile(**compile_kwargs())
        start = time.perf_counter()
        history = model.fit(
            _dataset(distribution, x, y),
            epochs=EPOCHS,
            shuffle=False,
            verbose=0,
            callbacks=list(extra),
        ).history
        seconds = time.perf_counter() - start
    return {
        "history": {k: [float(v) for v in vs] for k, vs in history.items()},
        "initial": initial,
        "final": _trainable(model),
        "seconds": seconds,
    }


def _build_vae():
    model = _common.vae()
    _common.make_deterministic_vae(model)
    return model


def _plain_strategy_fit(cluster, task_index, x):
    """Whether `fit` runs under TensorFlow's own strategy (keras#20585)."""
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec({"worker": cluster.split(",")}),
        task_type="worker",
        task_id=task_index,
        rpc_layer="grpc",
    )
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        cluster_resolver=resolver
    )
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
        model.compile(optimizer="sgd", loss="mse")
    data = x.reshape(len(x), -1)[:, :4]
    keras.config.disable_traceback_filtering()
    try:
        model.fit(data, data, batch_size=BATCH, epochs=1, verbose=0)
    except Exception as error:  # noqa: BLE001 - reported to the test.
        message = str(error)
        return {
            "status": "failed",
            "type": type(error).__name__,
            # The message embeds the per-replica batch: keep its two ends.
            "message_head": message[:200],
            "message_tail": message[-300:],
            "frames": [
                f"{_short_path(frame.filename)}:{frame.name}"
                for frame in traceback.extract_tb(error.__traceback__)
            ],
        }
    return {"status": "ok"}


def _short_path(path):
    path = path.replace(os.sep, "/")
    for packages in ("site-packages/", "dist-packages/"):
        path = path.split(packages)[-1]
    return path


def main(out_dir, cluster=None, task_index=None, mode=None):
    os.makedirs(out_dir, exist_ok=True)
    if BACKEND == "tensorflow":
        _common.configure(logical_cpus=1)
    if mode == "plain":
        x, _ = _common.data()
        _common.write_json(
            os.path.join(out_dir, "plain_fit.json"),
            _plain_strategy_fit(cluster, int(task_index), x),
        )
        return
    distribution = None
    if cluster:
        distribution = distribute.setup_worker(
            cluster, int(task_index), timeout=120
        )
    x, labels = _common.data()
    result = {"backend": BACKEND, "task_index": task_index}
    if distribution is None:
        result["replicas"] = 1
    elif BACKEND == "tensorflow":
        result["replicas"] = distribution.num_replicas_in_sync
    else:
        result["replicas"] = len(distribution.device_mesh.devices.flat)

    written = os.path.join(out_dir, "written")
    runs = {
        "conv": _fit(
            distribution,
            _common.small_autoencoder,
            lambda: {"optimizer": keras.optimizers.Adam(1e-2), "loss": "mse"},
            x,
            x,
        ),
        "vae": _fit(
            distribution,
            _build_vae,
            lambda: {"optimizer": _common.vae_optimizer()},
            x,
            extra=[
                callbacks.KLAnnealing(1.0, 2),
                callbacks.ImageGrid(
                    x[:4],
                    os.path.join(written, "grids"),
                    corruption=layers.AdditiveGaussianNoise(0.1, seed=1),
                ),
                callbacks.LatentSpacePlot(
                    x, labels, os.path.join(written, "latent")
                ),
            ],
        ),
        "dual": _fit(
            distribution,
            _common.dual_output,
            lambda: {
                "optimizer": keras.optimizers.Adam(1e-2),
                "loss": dict(_common.DUAL_OUTPUT_LOSS),
                "loss_weights": {"denoised": 1.0, "label": 0.5},
            },
            x,
            {"denoised": x, "label": labels},
            extra=[
                callbacks.ImageGrid(x[:4], os.path.join(written, "dual_grids"))
            ],
        ),
    }
    weights = {}
    for name, run in runs.items():
        result[name] = run["history"]
        result[f"{name}_seconds"] = run["seconds"]
        for i, value in enumerate(run["final"]):
            weights[f"{name}_{i}"] = value
        for i, value in enumerate(run["initial"]):
            weights[f"initial_{name}_{i}"] = value
    np.savez(os.path.join(out_dir, "weights.npz"), **weights)
    _common.write_json(os.path.join(out_dir, "result.json"), result)


if __name__ == "__main__":
    main(*sys.argv[1:])
