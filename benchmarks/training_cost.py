"""Cost of the corruption layers inside training: `fit` step time.

A `keras_denoise.models.conv_autoencoder` on 28x28x1 images is trained with
each corruption layer in the model, with a 4-way `RandomCorruption`
(Gaussian, speckle, salt-and-pepper, blur), with `keras.layers.GaussianNoise`
and with no corruption, with and without `jit_compile=True`. The step time is
the median interval between consecutive `on_train_batch_end` calls inside one
`fit` (so `fit`'s setup is not counted, the input pipeline is); the models run
interleaved and the median over the repeats is reported.

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
    report.write()


if __name__ == "__main__":
    main()
