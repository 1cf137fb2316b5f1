"""Builder overhead: `conv_autoencoder` against the same network by hand.

`keras_denoise.models.conv_autoencoder(shape)` (nested encoder/decoder
sub-models) against a flat `keras.Sequential` with the same layers written
by hand, same weights count, same data; `fit` step times measured as in
`training_cost.py`, interleaved, median over repeats.

    python benchmarks/builder_overhead.py [--quick] [--output PATH]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from training_cost import StepTimer  # noqa: E402

import keras_denoise  # noqa: E402


def hand_written(shape, filters=(32, 64)):
    layers = [keras.Input(shape)]
    for f in filters:
        layers.append(
            keras.layers.Conv2D(
                f, 3, strides=2, padding="same", activation="relu"
            )
        )
    for f in reversed(filters):
        layers.append(
            keras.layers.Conv2DTranspose(
                f, 3, strides=2, padding="same", activation="relu"
            )
        )
    layers.append(
        keras.layers.Conv2D(shape[-1], 3, padding="same", activation="sigmoid")
    )
    return keras.Sequential(layers)


def main():
    args = _common.parse_args(
        __doc__.splitlines()[0], "benchmarks/results/builder_overhead.json"
    )
    report = _common.Report("builder_overhead", args)
    repeats = args.repeats or (2 if args.quick else 15)
    steps = 4 if args.quick else 40
    import tensorflow as tf

    timer = StepTimer()
    rows = []
    summary = []
    configs = (
        [((28, 28, 1), 64)]
        if args.quick
        else [((28, 28, 1), 64), ((64, 64, 3), 32)]
    )
    for shape, batch_size in configs:
        images = np.random.default_rng(0).random(
            (batch_size * 8, *shape), dtype="float32"
        )
        dataset = (
            tf.data.Dataset.from_tensor_slices((images, images))
            .batch(batch_size, drop_remainder=True)
            .repeat()
            .prefetch(tf.data.AUTOTUNE)
        )
        keras.utils.set_random_seed(0)
        models = {
            "keras_denoise conv_autoencoder": (
                keras_denoise.models.conv_autoencoder(shape)
            ),
            "hand-written keras.Sequential": hand_written(shape),
        }
        counts = {m.count_params() for m in models.values()}
        if len(counts) != 1:
            raise RuntimeError(f"parameter counts differ: {counts}")
        for model in models.values():
            model.compile("adam", "mse")

        def run(model, dataset=dataset):
            model.fit(
                dataset,
                epochs=1,
                steps_per_epoch=steps,
                verbose=0,
                callbacks=[timer],
            )
            return timer.step_time()

        for model in models.values():
            run(model)
        times = {name: [] for name in models}
        for order in _common.rotations(list(models), repeats):
            for name in order:
                times[name].append(run(models[name]))
        hand = _common.median(times["hand-written keras.Sequential"])
        for name, values in times.items():
            t = _common.median(values)
            rows.append(
                [
                    "x".join(map(str, shape)),
                    batch_size,
                    name,
                    models[name].count_params(),
                    t * 1e3,
                    t / hand,
                    _common.spread(values),
                ]
            )
        builder = _common.median(times["keras_denoise conv_autoencoder"])
        summary.append(
            ["x".join(map(str, shape)), builder / hand, "1.00 ± noise"]
        )
    report.table(
        f"fit step time, median over {repeats} interleaved fits of "
        f"{steps} steps",
        [
            "input",
            "batch",
            "model",
            "parameters",
            "ms/step",
            "vs hand-written",
            "± (IQR/2)",
        ],
        rows,
    )
    report.table(
        "Target", ["input", "builder / hand-written", "target"], summary
    )
    report.write()


if __name__ == "__main__":
    main()
