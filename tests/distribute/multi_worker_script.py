"""One process of the `MultiWorkerMirroredStrategy` test, or its reference.

Usage: `python multi_worker_script.py OUT_DIR`.

With `TF_CONFIG` set (by `multi_worker_test.py`), the process is one worker
of a `tf.distribute.MultiWorkerMirroredStrategy` cluster; without it, it is
the single-process reference with the default strategy. Either way it
trains a VAE (with the three callbacks writing under OUT_DIR/written) and a
dual-output model on the same data, global batch size and initial weights,
and writes `OUT_DIR/result.json` and `OUT_DIR/weights.npz`.

Keras 3's `Model.fit` cannot run under `MultiWorkerMirroredStrategy`
(keras-team/keras#20585: `_maybe_symbolic_build` reduces the first
distributed batch with `strategy.reduce`, which the collective strategy
rejects), so the models train with the
custom-loop pattern of TensorFlow's multi-worker guide, through public APIs
only: `strategy.run`, `Model.compute_loss` (which scales the compiled and
the `add_loss` losses for the replicas), `optimizer.apply` and a
`keras.callbacks.CallbackList`. At the end the script records whether
`fit` works and, if not, the error's type, the two ends of its message and
its traceback, for the test that tracks the upstream bug.
"""

import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402

tf = _common.configure(logical_cpus=1)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_denoise import callbacks  # noqa: E402
from keras_denoise import layers  # noqa: E402

EPOCHS, BATCH = 3, 8


def _dataset(strategy, x, y):
    dataset = tf.data.Dataset.from_tensor_slices(
        (x,) if y is None else (x, y)
    ).batch(BATCH)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return strategy.experimental_distribute_dataset(
        dataset.with_options(options)
    )


def _train(strategy, model, x, y, callback_list=()):
    """`fit`'s loop: per-epoch mean loss and the model's metric results."""

    def step(*batch):
        inputs, targets = batch[0], batch[1] if len(batch) > 1 else None
        with tf.GradientTape() as tape:
            predictions = model(inputs, training=True)
            loss = model.compute_loss(
                inputs, targets, predictions, training=True
            )
        variables = model.trainable_variables
        model.optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    @tf.function
    def train_step(batch):
        per_replica = strategy.run(step, args=batch)
        # Each replica's loss is already divided by the number of replicas.
        return strategy.reduce("SUM", per_replica, axis=None)

    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(
        [*callback_list, history], model=model
    )
    dataset = _dataset(strategy, x, y)
    callback_list.on_train_begin()
    for epoch in range(EPOCHS):
        for metric in model.metrics:
            metric.reset_state()
        callback_list.on_epoch_begin(epoch)
        losses = [float(train_step(batch)) for batch in dataset]
        logs = {"loss": float(np.mean(losses))}
        for metric in model.metrics:
            result = metric.result()
            # "loss" is the mean of the step losses above; `fit`'s own loss
            # tracker is not updated by this loop.
            if metric.name != "loss" and not isinstance(result, dict):
                logs[metric.name] = float(result)
        callback_list.on_epoch_end(epoch, logs)
    callback_list.on_train_end()
    return {
        name: [float(value) for value in values]
        for name, values in history.history.items()
    }


def _build(strategy, build, prepare=None):
    # The same seed gives every process the same initial weights.
    with strategy.scope():
        keras.utils.set_random_seed(_common.SEED)
        model = build()
        if prepare is not None:
            prepare(model)
    return model


def _trainable(model):
    return [
        np.asarray(variable.numpy()) for variable in model.trainable_weights
    ]


def _fit_works(strategy, x, labels):
    """Whether `Model.fit` runs under this strategy (keras#20585)."""
    model = _build(strategy, _common.dual_output)
    with strategy.scope():
        model.compile(optimizer="adam", loss=dict(_common.DUAL_OUTPUT_LOSS))
    # The full traceback, Keras's frames included, shows where fit fails.
    keras.config.disable_traceback_filtering()
    try:
        model.fit(
            x,
            {"denoised": x, "label": labels},
            batch_size=BATCH,
            epochs=1,
            verbose=0,
        )
    except Exception as error:  # noqa: BLE001 - reported to the test.
        message = str(error)
        return {
            "status": "failed",
            "type": type(error).__name__,
            # The message embeds the per-replica batch: keep its two ends.
            "message_head": message[:200],
            "message_tail": message[-300:],
            # Innermost last, as `file:function` below `site-packages/`
            # (`dist-packages/`).
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


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    multi_worker = bool(os.environ.get("TF_CONFIG"))
    if multi_worker:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        task = json.loads(os.environ["TF_CONFIG"])["task"]
    else:
        strategy = tf.distribute.get_strategy()
        task = None
    x, labels = _common.data()
    result = {"task": task, "replicas": strategy.num_replicas_in_sync}
    weights = {}

    vae = _build(strategy, _common.vae, _common.make_deterministic_vae)
    initial = {"vae": _trainable(vae)}
    with strategy.scope():
        vae.compile(optimizer=_common.vae_optimizer())
    written = os.path.join(out_dir, "written")
    vae_callbacks = [
        callbacks.KLAnnealing(1.0, 2),
        callbacks.ImageGrid(
            x[:4],
            os.path.join(written, "grids"),
            corruption=layers.AdditiveGaussianNoise(0.1, seed=1),
            tensorboard_dir=os.path.join(written, "logs"),
        ),
        callbacks.LatentSpacePlot(x, labels, os.path.join(written, "latent")),
    ]
    result["vae"] = _train(strategy, vae, x, None, vae_callbacks)
    for i, value in enumerate(_trainable(vae)):
        weights[f"vae_{i}"] = value

    dual = _build(strategy, _common.dual_output)
    initial["dual"] = _trainable(dual)
    with strategy.scope():
        dual.compile(
            optimizer=keras.optimizers.Adam(1e-2),
            loss=dict(_common.DUAL_OUTPUT_LOSS),
            loss_weights={"denoised": 1.0, "label": 0.5},
        )
    grid = callbacks.ImageGrid(x[:4], os.path.join(written, "dual_grids"))
    result["dual"] = _train(
        strategy, dual, x, {"denoised": x, "label": labels}, [grid]
    )
    for i, value in enumerate(_trainable(dual)):
        weights[f"dual_{i}"] = value

    for model, values in initial.items():
        for i, value in enumerate(values):
            weights[f"initial_{model}_{i}"] = value
    np.savez(os.path.join(out_dir, "weights.npz"), **weights)
    _common.write_json(os.path.join(out_dir, "result.json"), result)
    try:
        result["fit"] = _fit_works(strategy, x, labels)
    except Exception:  # noqa: BLE001 - the results above are kept.
        traceback.print_exc()
        result["fit"] = {"status": "crashed"}
    _common.write_json(os.path.join(out_dir, "result.json"), result)


if __name__ == "__main__":
    main(sys.argv[1])
