"""Corruption pipeline throughput: images per second.

Compares, on 28x28x1 and 128x128x3 float32 images in [0, 1]:

- the per-image numpy loop of course notebooks
  (`np.clip(x + np.random.normal(0, s, x.shape), 0, 1)` image by image) and
  `skimage.util.random_noise` image by image;
- `keras.layers.GaussianNoise` mapped in `tf.data`, per element and per
  batch;
- keras_denoise corruption layers (Gaussian, speckle, salt-and-pepper and a
  `RandomCorruption` of the three) mapped in `tf.data` per batch (as
  `keras_denoise.datasets.corrupted_pairs` does) and per element, and
  called directly on batches;
- raw TensorFlow random ops in the same batched pipeline, to attribute the
  cost (stateless Philox vs ThreeFry, stateful `tf.random.normal`, a seed
  variable read inside the map function).

Every candidate corrupts the same images once per timed repeat; the
candidates run interleaved and the medians are reported, with each one's
speed relative to the numpy loop of the same corruption.

    python benchmarks/corruption_throughput.py [--quick] [--output PATH]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_denoise  # noqa: E402

SIGMA = 0.1
RATE = 0.05


# --- numpy and scikit-image references, one image at a time -------------


def numpy_gaussian(image):
    noisy = image + np.random.normal(0.0, SIGMA, image.shape)
    return np.clip(noisy, 0.0, 1.0).astype("float32")


def numpy_speckle(image):
    noisy = image + image * np.random.normal(0.0, SIGMA, image.shape)
    return np.clip(noisy, 0.0, 1.0).astype("float32")


def numpy_salt_pepper(image):
    noisy = image.copy()
    hit = np.random.rand(*image.shape[:2]) < RATE
    salt = np.random.rand(*image.shape[:2]) < 0.5
    noisy[hit & salt] = 1.0
    noisy[hit & ~salt] = 0.0
    return noisy


NUMPY_MIX = (numpy_gaussian, numpy_speckle, numpy_salt_pepper)


def numpy_mix(image):
    return NUMPY_MIX[np.random.randint(3)](image)


def numpy_loop(fn, images):
    def run():
        return [fn(image) for image in images]

    return run


def skimage_loop(images):
    from skimage.util import random_noise

    def run():
        return [
            random_noise(image, mode="gaussian", var=SIGMA**2).astype("float32")
            for image in images
        ]

    return run


# --- tf.data pipelines ---------------------------------------------------


def drain(dataset):
    def run():
        for _ in dataset:
            pass

    return run


def batched_map(images, batch_size, fn):
    dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.batch(batch_size)
    dataset = dataset.map(fn, num_parallel_calls=tf.data.AUTOTUNE)
    return drain(dataset.prefetch(tf.data.AUTOTUNE))


def element_map(images, batch_size, fn):
    dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.map(fn, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size)
    return drain(dataset.prefetch(tf.data.AUTOTUNE))


def layer_fn(layer):
    return lambda x: layer(x, training=True)


def eager_batches(images, batch_size, layer):
    batches = [
        tf.constant(images[i : i + batch_size])
        for i in range(0, len(images), batch_size)
    ]

    def run():
        for batch in batches:
            layer(batch, training=True).numpy()

    return run


def compiled_batches(images, batch_size, layer):
    batches = [
        tf.constant(images[i : i + batch_size])
        for i in range(0, len(images), batch_size)
    ]
    fn = tf.function(lambda x: layer(x, training=True))

    def run():
        for batch in batches:
            fn(batch).numpy()

    return run


def raw_stateless(alg):
    # ThreeFry (alg 2) has no CPU kernel outside XLA in TF 2.21
    # ("Unsupported algorithm id: 2"), so tf.data can only use Philox.
    alg_id = {"philox": 1}[alg]

    def fn(x):
        # The key depends on the data: a constant seed with a static shape
        # would let grappler fold the noise into a constant.
        key = tf.bitcast(tf.reshape(x, [-1])[:2], tf.uint64)  # scalar
        noise = tf.raw_ops.StatelessRandomNormalV2(
            shape=tf.shape(x),
            key=tf.reshape(key, [1]),
            counter=tf.constant([2, 0], tf.uint64),
            alg=alg_id,
        )
        return tf.clip_by_value(x + SIGMA * noise, 0.0, 1.0)

    return fn


def raw_stateful(x):
    noise = tf.random.normal(tf.shape(x), stddev=SIGMA)
    return tf.clip_by_value(x + noise, 0.0, 1.0)


def raw_seed_variable():
    # What keras.random does with a SeedGenerator: read and advance a
    # variable, then a stateless draw with the derived seed.
    state = tf.Variable([1, 2], dtype=tf.int64)

    def fn(x):
        seed = state.assign_add(tf.constant([0, 1], tf.int64))
        noise = tf.random.stateless_normal(tf.shape(x), seed=seed, stddev=SIGMA)
        return tf.clip_by_value(x + noise, 0.0, 1.0)

    return fn


def candidates_for(images, batch_size, quick):
    L = keras_denoise.layers
    gauss = L.AdditiveGaussianNoise(SIGMA, seed=1)
    speckle = L.SpeckleNoise(SIGMA, seed=2)
    salt_pepper = L.SaltAndPepperNoise(RATE, seed=3)
    mix = L.RandomCorruption(
        [
            L.AdditiveGaussianNoise(SIGMA, seed=4),
            L.SpeckleNoise(SIGMA, seed=5),
            L.SaltAndPepperNoise(RATE, seed=6),
        ],
        seed=7,
    )
    keras_noise = keras.layers.GaussianNoise(SIGMA, seed=8)
    b = batch_size
    # (group, name, reference numpy candidate, callable)
    rows = [
        ("gaussian", "numpy loop (per image)", None, None),
        ("gaussian", "skimage random_noise (per image)", None, None),
        (
            "gaussian",
            "keras GaussianNoise, tf.data per-element map",
            None,
            element_map(images, b, layer_fn(keras_noise)),
        ),
        (
            "gaussian",
            "keras GaussianNoise, tf.data batched map",
            None,
            batched_map(images, b, layer_fn(keras_noise)),
        ),
        (
            "gaussian",
            "AdditiveGaussianNoise, tf.data per-element map",
            None,
            element_map(images, b, layer_fn(gauss)),
        ),
        (
            "gaussian",
            "AdditiveGaussianNoise, tf.data batched map",
            None,
            batched_map(images, b, layer_fn(gauss)),
        ),
        (
            "gaussian",
            "AdditiveGaussianNoise, eager call on batches",
            None,
            eager_batches(images, b, gauss),
        ),
        (
            "gaussian",
            "AdditiveGaussianNoise, tf.function on batches",
            None,
            compiled_batches(images, b, gauss),
        ),
        (
            "gaussian",
            "raw tf stateless_normal philox, batched map",
            None,
            batched_map(images, b, raw_stateless("philox")),
        ),
        (
            "gaussian",
            "raw tf.random.normal (stateful), batched map",
            None,
            batched_map(images, b, raw_stateful),
        ),
        (
            "gaussian",
            "raw seed variable + stateless_normal, batched map",
            None,
            batched_map(images, b, raw_seed_variable()),
        ),
        (
            "gaussian",
            "identity (no corruption), batched map: pipeline ceiling",
            None,
            batched_map(images, b, lambda x: x),
        ),
        (
            "gaussian",
            "raw stateless_normal philox, per-element map",
            None,
            element_map(images, b, raw_stateless("philox")),
        ),
        ("speckle", "numpy loop (per image)", None, None),
        (
            "speckle",
            "SpeckleNoise, tf.data batched map",
            None,
            batched_map(images, b, layer_fn(speckle)),
        ),
        ("salt & pepper", "numpy loop (per image)", None, None),
        (
            "salt & pepper",
            "SaltAndPepperNoise, tf.data batched map",
            None,
            batched_map(images, b, layer_fn(salt_pepper)),
        ),
        ("3-way mix", "numpy loop (per image, random choice)", None, None),
        (
            "3-way mix",
            "RandomCorruption, tf.data batched map",
            None,
            batched_map(images, b, layer_fn(mix)),
        ),
        (
            "3-way mix",
            "RandomCorruption, tf.data per-element map",
            None,
            element_map(images, b, layer_fn(mix)),
        ),
        (
            "3-way mix",
            "RandomCorruption, eager call on batches",
            None,
            eager_batches(images, b, mix),
        ),
    ]
    numpy_fns = {
        "gaussian": numpy_gaussian,
        "speckle": numpy_speckle,
        "salt & pepper": numpy_salt_pepper,
        "3-way mix": numpy_mix,
    }
    candidates = {}
    for group, name, _, fn in rows:
        if fn is None:
            if name.startswith("skimage"):
                fn = skimage_loop(images)
            else:
                fn = numpy_loop(numpy_fns[group], images)
        candidates[(group, name)] = fn
    if quick:
        # Per-element maps are the slowest to trace; keep one of them.
        candidates = {
            key: fn
            for key, fn in candidates.items()
            if "per-element" not in key[1]
            or key[1].startswith("AdditiveGaussianNoise")
        }
    return candidates


def main():
    args = _common.parse_args(
        __doc__.splitlines()[0], "benchmarks/results/corruption_throughput.json"
    )
    report = _common.Report("corruption_throughput", args)
    repeats = args.repeats or (1 if args.quick else 7)
    sizes = [
        ((28, 28, 1), 64 if args.quick else 8192, 128),
        ((128, 128, 3), 16 if args.quick else 512, 32),
    ]
    rng = np.random.default_rng(0)
    summary = []
    for shape, count, batch_size in sizes:
        np.random.seed(0)
        images = rng.random((count, *shape), dtype="float32")
        candidates = candidates_for(images, batch_size, args.quick)
        times = _common.interleaved(candidates, repeats, warmup=1)
        rows = []
        reference = {}
        for (group, name), values in times.items():
            if name.startswith("numpy loop"):
                reference[group] = _common.median(values)
        for (group, name), values in times.items():
            seconds = _common.median(values)
            rows.append(
                [
                    group,
                    name,
                    count / seconds,
                    reference[group] / seconds,
                    _common.spread(values),
                ]
            )
            if name.endswith("tf.data batched map") and not name.startswith(
                "keras"
            ):
                summary.append(
                    [
                        "x".join(map(str, shape)),
                        name,
                        reference[group] / seconds,
                    ]
                )
        report.table(
            f"{'x'.join(map(str, shape))}: {count} images, batches of "
            f"{batch_size}, median of {repeats}",
            [
                "corruption",
                "candidate",
                "images/s",
                "vs numpy loop",
                "± (IQR/2)",
            ],
            rows,
        )
    report.table(
        "Target: keras_denoise layers in tf.data at least as fast as the "
        "numpy loop (ratio >= 1)",
        ["size", "candidate", "speed vs numpy loop"],
        summary,
    )
    report.write()


if __name__ == "__main__":
    main()
