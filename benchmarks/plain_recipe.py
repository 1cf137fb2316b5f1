"""Accuracy of the classifier builders under a plain recipe.

The recipe a new user follows: a fixed training set (noisy copies made once
with numpy, not on the fly), `compile(optimizer="adam")` at Adam's default
rate, plain `fit`, no schedule. Two questions, each answered by training
every candidate from the same seed on the same arrays:

- `cnn_classifier`: which head (`"flatten"` or `"global_average"`) learns
  well in 10 epochs at batch 32 and 128, on 16x16 digits, 25x25 faces and
  28x28 (MNIST/Fashion-MNIST-sized) digits, all bundled offline.
- `denoise_classifier` and `inception_denoise_classifier`: should the
  classifier read the noisy input or the denoised image
  (`classifier_input`), on 16x16 digits with fixed Gaussian noise, 30
  epochs at batch 32, both losses weighted 1.

The figures are test accuracies (held-out split of the bundled data).

    python benchmarks/plain_recipe.py [--quick] [--output PATH]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_denoise  # noqa: E402

SEED = 0


def noisy(images, stddev, seed):
    rng = np.random.default_rng(seed)
    out = images + stddev * rng.standard_normal(images.shape)
    return np.clip(out, 0.0, 1.0).astype("float32")


def head_accuracy(data, head, batch_size, epochs):
    (x, y), (x_test, y_test) = data
    keras.utils.set_random_seed(SEED)
    model = keras_denoise.models.cnn_classifier(
        x.shape[1:], int(y.max()) + 1, head=head
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return float(model.evaluate(x_test, y_test, verbose=0)[1])


def dual_accuracy(builder, data, classifier_input, epochs):
    (x, y, clean), (x_test, y_test) = data
    keras.utils.set_random_seed(SEED)
    model = builder(x.shape[1:], 10, classifier_input=classifier_input)
    model.compile(
        optimizer="adam",
        loss={
            "denoised": "binary_crossentropy",
            "label": "sparse_categorical_crossentropy",
        },
        metrics={"label": ["accuracy"]},
    )
    model.fit(x, {"denoised": clean, "label": y}, epochs=epochs, verbose=0)
    probs = model.predict(x_test, verbose=0)["label"]
    return float(np.mean(probs.argmax(axis=1) == y_test))


def main():
    args = _common.parse_args(
        __doc__.splitlines()[0], "benchmarks/results/plain_recipe.json"
    )
    report = _common.Report("plain_recipe", args)
    D = keras_denoise.datasets
    if args.quick:
        head_epochs, dual_epochs, batches = 1, 1, (32,)
        sets = {"digits 8x8": D.load_digits(size=8)}
        noise_levels = (0.3,)
    else:
        head_epochs, dual_epochs, batches = 10, 30, (32, 128)
        sets = {
            "digits 16x16": D.load_digits(size=16),
            "faces 25x25": D.load_faces(),
            "digits 28x28": D.load_digits(size=28),
        }
        noise_levels = (0.3, 0.5)

    rows = []
    for name, data in sets.items():
        for batch_size in batches:
            flat = head_accuracy(data, "flatten", batch_size, head_epochs)
            gap = head_accuracy(data, "global_average", batch_size, head_epochs)
            rows.append([name, batch_size, flat, gap])
    report.table(
        f"cnn_classifier test accuracy, Adam default, {head_epochs} epochs",
        ["data", "batch", "flatten", "global_average"],
        rows,
    )

    size = 8 if args.quick else 16
    (x, y), (x_test, y_test) = D.load_digits(size=size)
    rows = []
    for stddev in noise_levels:
        data = (
            (noisy(x, stddev, 1), y, x),
            (noisy(x_test, stddev, 2), y_test),
        )
        for builder in (
            keras_denoise.models.denoise_classifier,
            keras_denoise.models.inception_denoise_classifier,
        ):
            row = [builder.__name__, stddev]
            for classifier_input in ("input", "denoised"):
                row.append(
                    dual_accuracy(builder, data, classifier_input, dual_epochs)
                )
            rows.append(row)
    report.table(
        f"Dual-output label accuracy on noisy {size}x{size} digits, "
        f"Adam default, {dual_epochs} epochs, batch 32",
        ["builder", "noise stddev", "input", "denoised"],
        rows,
    )
    report.write()


if __name__ == "__main__":
    main()
