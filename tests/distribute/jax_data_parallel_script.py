"""Trains a conv AE and a VAE under `keras.distribution.DataParallel`.

Run by `jax_data_parallel_test.py` in a fresh process with
`KERAS_BACKEND=jax` and `XLA_FLAGS=--xla_force_host_platform_device_count=2`
(JAX splits the CPU into two devices only if the flag is set before it
starts). Each model is trained twice from the same initial weights on the
same batches: on one device, then data-parallel on both; the JSON report
holds both histories and what the distribution did.

Usage: python jax_data_parallel_script.py RESULTS_JSON
"""

import json
import sys

import keras
import numpy as np

import keras_denoise
from keras_denoise.datasets import load_digits

BATCH = 32
EPOCHS = 2


def _data():
    (x, _), _ = load_digits(size=16, test_split=0.2, seed=0)
    return x[:256]


def _builders():
    return {
        "conv_autoencoder": (
            lambda: keras_denoise.models.conv_autoencoder(
                (16, 16, 1), filters=(8, 16)
            ),
            lambda: keras.optimizers.Adam(1e-3),
            "mse",
        ),
        "variational_autoencoder": (
            lambda: keras_denoise.models.variational_autoencoder(
                (16, 16, 1),
                latent_dim=2,
                filters=(8, 16),
                loss_weights=(1.0, 0.5),
                seed=3,
            ),
            lambda: keras.optimizers.SGD(1e-3),
            None,
        ),
    }


def _train(build, optimizer, loss, x, weights):
    model = build()
    model.set_weights(weights)
    model.compile(optimizer=optimizer(), loss=loss)
    batch_logs = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batch_logs.append({k: float(v) for k, v in logs.items()})

    target = x if loss else None
    history = model.fit(
        x,
        target,
        batch_size=BATCH,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[Record()],
    ).history
    kernel = model.trainable_variables[0]
    return model, {
        "history": {k: [float(v) for v in vs] for k, vs in history.items()},
        "batch_logs": batch_logs,
        "weights": [np.asarray(w).tolist() for w in model.get_weights()[:2]],
        "kernel_devices": len(kernel.value.sharding.device_set),
    }


def main(results_path):
    import jax

    x = _data()
    devices = keras.distribution.list_devices("cpu")
    report = {"devices": len(devices), "jax_devices": len(jax.devices())}
    for name, (build, optimizer, loss) in _builders().items():
        keras.utils.set_random_seed(0)
        initial = build().get_weights()
        _, single = _train(build, optimizer, loss, x, initial)

        distribution = keras.distribution.DataParallel(devices=devices)
        keras.distribution.set_distribution(distribution)
        try:
            _, parallel = _train(build, optimizer, loss, x, initial)
            layout = distribution.get_data_layout(x[:BATCH].shape)
            sharded = jax.device_put(x[:BATCH], layout.backend_layout)
            parallel["batch_shard_sizes"] = [
                int(shard.data.shape[0]) for shard in sharded.addressable_shards
            ]
        finally:
            keras.distribution.set_distribution(None)
        report[name] = {"single": single, "parallel": parallel}
    with open(results_path, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(sys.argv[1])
