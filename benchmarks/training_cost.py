"""Cost of the corruption layers inside training: `fit` step time.

A `keras_denoise.models.conv_autoencoder` on 28x28x1 images is trained with
each corruption layer in the model, with a 4-way `RandomCorruption`
(Gaussian, speckle, salt-and-pepper, blur), with `keras.layers.GaussianNoise`
and with no corruption, with and without `jit_compile=True`. The step time is
the median interval between consecutive `on_train_batch_end` calls inside one
`fit` (so `fit`'s setup is not counted, the input pipeline is); the models run
interleaved and the median over the repeats is reported.

A second part times each corruption layer alone on one training batch, in a
`tf.function` with and without `jit_compile=True`, with the random draws and
the patterns they are used in broken down, to show where XLA's time goes.

    python benchmarks/training_cost.py [--quick] [--output PATH]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import time  # noqa: E402

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_denoise  # noqa: E402


class StepTimer(keras.callbacks.Callback):
    """Records the time of every `on_train_batch_end`."""

    def __init__(self):
        super().__init__()
        self.stamps = []

    def on_train_begin(self, logs=None):
        self.stamps = []

    def on_train_batch_end(self, batch, logs=None):
        self.stamps.append(time.perf_counter())

    def step_time(self):
        deltas = np.diff(self.stamps)
        return float(np.median(deltas))


def corruptions():
    L = keras_denoise.layers
    return {
        "none (clean)": None,
        "keras GaussianNoise": keras.layers.GaussianNoise(0.1, seed=1),
        "AdditiveGaussianNoise": L.AdditiveGaussianNoise(0.1, seed=1),
        "SpeckleNoise": L.SpeckleNoise(0.2, seed=2),
        "SaltAndPepperNoise": L.SaltAndPepperNoise(0.05, seed=3),
        "PoissonNoise": L.PoissonNoise(30.0, seed=4),
        "GaussianBlur": L.GaussianBlur(1.0),
        "RandomCorruption (4-way)": L.RandomCorruption(
            [
                L.AdditiveGaussianNoise((0.05, 0.2), seed=5),
                L.SpeckleNoise((0.1, 0.3), seed=6),
                L.SaltAndPepperNoise((0.01, 0.1), seed=7),
                L.GaussianBlur((0.5, 1.5)),
            ],
            seed=8,
        ),
    }


def breakdown_candidates(shape):
    """Per-operation candidates, each `f(x) -> tensor` on a batch `x`."""
    from keras import ops

    from keras_denoise.layers._random import standard_normal

    seed = keras.random.SeedGenerator(11)
    per_sample = (shape[0], 1, 1, 1)

    def layer(corruption):
        return lambda x: corruption(x, training=True)

    def uniform_read_once(x):
        return x + keras.random.uniform(shape, seed=seed)

    def uniform_read_twice(x):
        u = keras.random.uniform(shape, seed=seed)
        return x + u * ops.cast(u < 0.5, "float32")

    def two_per_sample_thresholds(x):
        # SaltAndPepperNoise's comparisons before the u / rate rewrite.
        rate = keras.random.uniform(per_sample, 0.01, 0.1, seed=seed)
        u = keras.random.uniform(shape, seed=seed)
        salt = ops.cast(u < rate * 0.5, "float32")
        hit = ops.cast(u < rate, "float32")
        return ops.clip(x + (salt + salt - hit), 0.0, 1.0)

    def scaled_by_rate(x):
        rate = keras.random.uniform(per_sample, 0.01, 0.1, seed=seed)
        v = keras.random.uniform(shape, seed=seed) / rate
        salt = ops.cast(v < 0.5, "float32")
        hit = ops.cast(v < 1.0, "float32")
        return ops.clip(x + (salt + salt - hit), 0.0, 1.0)

    L = keras_denoise.layers
    return {
        "identity (x * 1)": lambda x: x * 1.0,
        "keras.random.uniform, read by one op": uniform_read_once,
        "keras.random.uniform, read by two ops": uniform_read_twice,
        "keras.random.normal": lambda x: (
            x + keras.random.normal(shape, seed=seed)
        ),
        "keras_denoise standard_normal (Box-Muller)": lambda x: (
            x + standard_normal(shape, seed, "float32")
        ),
        "u < rate and u < rate * ratio, rate per sample": (
            two_per_sample_thresholds
        ),
        "u / rate < 1 and < ratio, rate per sample": scaled_by_rate,
        "keras GaussianNoise": layer(keras.layers.GaussianNoise(0.1, seed=1)),
        "AdditiveGaussianNoise (0.05, 0.2)": layer(
            L.AdditiveGaussianNoise((0.05, 0.2), seed=5)
        ),
        "SpeckleNoise (0.1, 0.3)": layer(L.SpeckleNoise((0.1, 0.3), seed=6)),
        "SaltAndPepperNoise (0.01, 0.1)": layer(
            L.SaltAndPepperNoise((0.01, 0.1), seed=7)
        ),
        "GaussianBlur (0.5, 1.5)": layer(L.GaussianBlur((0.5, 1.5), seed=9)),
        "PoissonNoise 30": layer(L.PoissonNoise(30.0, seed=4)),
        "RandomCorruption (4-way)": layer(
            corruptions()["RandomCorruption (4-way)"]
        ),
        "RandomCorruption (3-way, no blur)": layer(
            L.RandomCorruption(
                [
                    L.AdditiveGaussianNoise((0.05, 0.2), seed=5),
                    L.SpeckleNoise((0.1, 0.3), seed=6),
                    L.SaltAndPepperNoise((0.01, 0.1), seed=7),
                ],
                seed=8,
            )
        ),
    }


# The rows that `--quick` (a smoke test of the script) measures: those of
# the targets.
QUICK = (
    "none (clean)",
    "keras GaussianNoise",
    "AdditiveGaussianNoise",
    "RandomCorruption (4-way)",
)


def breakdown(report, shape, batch_size, repeats, quick):
    import tensorflow as tf

    x = tf.constant(
        np.random.default_rng(1).random((batch_size, *shape), dtype="float32")
    )
    calls = 2 if quick else 20
    columns = {}
    for jit in (False, True):
        candidates = breakdown_candidates(x.shape)
        if quick:
            candidates = dict(list(candidates.items())[:2])
        functions = {
            name: tf.function(fn, jit_compile=jit)
            for name, fn in candidates.items()
        }

        def timed(fn):
            def run():
                for _ in range(calls):
                    y = fn(x)
                np.asarray(y)

            return run

        times = _common.interleaved(
            {name: timed(fn) for name, fn in functions.items()},
            repeats,
            warmup=1,
        )
        columns[jit] = times
    rows = []
    for name in columns[False]:
        eager, xla = columns[False][name], columns[True][name]
        rows.append(
            [
                name,
                _common.median(eager) / calls * 1e3,
                _common.median(xla) / calls * 1e3,
                _common.spread(xla),
            ]
        )
    report.table(
        f"Breakdown: one call on a {batch_size}x{'x'.join(map(str, shape))} "
        f"batch in a tf.function, ms per call (median of {repeats} "
        f"interleaved runs of {calls} calls)",
        ["operation", "ms, graph", "ms, jit_compile=True", "± (IQR/2), XLA"],
        rows,
    )


def main():
    args = _common.parse_args(
        __doc__.splitlines()[0], "benchmarks/results/training_cost.json"
    )
    report = _common.Report("training_cost", args)
    repeats = args.repeats or (1 if args.quick else 7)
    steps = 4 if args.quick else 40
    batch_size = 64
    shape = (28, 28, 1)
    images = np.random.default_rng(0).random(
        (batch_size * 8, *shape), dtype="float32"
    )
    import tensorflow as tf

    dataset = (
        tf.data.Dataset.from_tensor_slices((images, images))
        .batch(batch_size, drop_remainder=True)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    timer = StepTimer()
    summary = []
    for jit in (False, True):
        keras.utils.set_random_seed(0)
        models = {}
        for name, corruption in corruptions().items():
            if args.quick and name not in QUICK:
                continue
            model = keras_denoise.models.conv_autoencoder(
                shape, corruption=corruption
            )
            model.compile("adam", "mse", jit_compile=jit)
            models[name] = model

        def make_run(model):
            def run():
                model.fit(
                    dataset,
                    epochs=1,
                    steps_per_epoch=steps,
                    verbose=0,
                    callbacks=[timer],
                )
                return timer.step_time()

            return run

        step_times = {name: [] for name in models}
        runs = {name: make_run(model) for name, model in models.items()}
        for fn in runs.values():  # warm-up: tracing and compilation
            fn()
        for order in _common.rotations(list(runs), repeats):
            for name in order:
                step_times[name].append(runs[name]())
        clean = _common.median(step_times["none (clean)"])
        keras_noise = _common.median(step_times["keras GaussianNoise"])
        rows = []
        for name, values in step_times.items():
            t = _common.median(values)
            rows.append(
                [
                    name,
                    t * 1e3,
                    t / clean,
                    t / keras_noise,
                    _common.spread(values),
                ]
            )
        mode = "jit_compile=True" if jit else "jit_compile=False"
        report.table(
            f"conv_autoencoder {shape}, batch {batch_size}, {mode}: median "
            f"step time over {repeats} fits of {steps} steps",
            [
                "corruption in the model",
                "ms/step",
                "vs clean",
                "vs keras GaussianNoise",
                "± (IQR/2)",
            ],
            rows,
        )
        mix = _common.median(step_times["RandomCorruption (4-way)"])
        ours = _common.median(step_times["AdditiveGaussianNoise"])
        summary.append(
            [mode, "4-way RandomCorruption / clean", mix / clean, "<= 1.10"]
        )
        summary.append(
            [
                mode,
                "AdditiveGaussianNoise / keras GaussianNoise",
                ours / keras_noise,
                "<= 1.05",
            ]
        )
    report.table("Targets", ["mode", "ratio", "measured", "target"], summary)
    breakdown(report, shape, batch_size, 2 if args.quick else 11, args.quick)
    report.write()


if __name__ == "__main__":
    main()
