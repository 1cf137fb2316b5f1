"""Corruption pipeline throughput: images per second.

Compares, on 28x28x1 and 128x128x3 float32 images in [0, 1]:

- the per-image numpy loop of course notebooks
  (`np.clip(x + np.random.normal(0, s, x.shape), 0, 1)` image by image, the
  equivalent numpy code for speckle and salt-and-pepper, a random choice per
  image for the mix) and `skimage.util.random_noise` image by image
  (modes "gaussian", "speckle", "s&p", a random choice of them for the mix);
- `keras.layers.GaussianNoise` and the keras_denoise corruption layers
  (Gaussian, speckle, salt-and-pepper and a `RandomCorruption` of the three)
  in the `tf.data` pipeline that `keras_denoise.datasets.corrupted_pairs`
  builds (it is called, with `shuffle=False`: batch, parallel map, prefetch,
  then tf.data autotuning off as `keras-denoise train` has it), mapped per
  element with the same options, and
  called directly on batches (eagerly and in a `tf.function`);
- raw TensorFlow random ops and parts of the layers in the same pipeline,
  to attribute the cost (stateless Philox, stateful `tf.random.normal`, a
  seed variable read inside the map function, the random draws alone).

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
from keras_denoise.cli._pipeline import tune  # noqa: E402
from keras_denoise.layers._random import standard_normal  # noqa: E402

SIGMA = 0.1
RATE = 0.05
DRAW_SEED = keras.random.SeedGenerator(9)
TARGET_LAYERS = (
    "AdditiveGaussianNoise",
    "SpeckleNoise",
    "SaltAndPepperNoise",
    "RandomCorruption",
)


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


def skimage_noise(mode):
    from skimage.util import random_noise

    if mode == "s&p":
        # random_noise's s&p flips each value (each channel) on its own.
        return lambda image: random_noise(
            image, mode="s&p", amount=RATE, salt_vs_pepper=0.5
        ).astype("float32")
    return lambda image: random_noise(image, mode=mode, var=SIGMA**2).astype(
        "float32"
    )


def skimage_mix():
    modes = [skimage_noise(m) for m in ("gaussian", "speckle", "s&p")]
    return lambda image: modes[np.random.randint(3)](image)


SKIMAGE = {
    "gaussian": lambda: skimage_noise("gaussian"),
    "speckle": lambda: skimage_noise("speckle"),
    "salt & pepper": lambda: skimage_noise("s&p"),
    "3-way mix": skimage_mix,
}


# --- tf.data pipelines ---------------------------------------------------


def drain(dataset):
    def run():
        for _ in dataset:
            pass

    return run


def batched_map(images, batch_size, fn):
    """The pipeline of `corrupted_pairs`, tuned as `keras-denoise train` does.

    `fn` is a corruption layer (called with `training=True`) or a function
    of the batch. tf.data's autotuning is switched off as the command line
    switches it off for its training pipeline.
    """
    dataset = keras_denoise.datasets.corrupted_pairs(
        images, fn, batch_size=batch_size, shuffle=False
    )
    return drain(tune(dataset))


def element_map(images, batch_size, fn):
    """Maps before batching, with `corrupted_pairs`'s options otherwise."""
    if hasattr(fn, "compute_output_shape"):
        fn = layer_fn(fn)
    dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.map(fn, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size)
    options = tf.data.Options()
    options.autotune.enabled = False
    return drain(dataset.prefetch(tf.data.AUTOTUNE).with_options(options))


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


def uniform_per_pixel(x):
    # The draw of SaltAndPepperNoise alone: one uniform per pixel.
    shape = tf.shape(x)
    return keras.random.uniform(
        (shape[0], shape[1], shape[2], 1), seed=DRAW_SEED
    )


def standard_normal_only(x):
    # The draw that the Gaussian and speckle layers share in the mix.
    return standard_normal(keras.ops.shape(x), DRAW_SEED, "float32")


def impulses_without_clip(layer):
    # SaltAndPepperNoise before its final clip: draw, signs, repeat, add.
    return lambda x: x + layer.additive_noise(x)


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
    pipeline = "corrupted_pairs (tf.data batched map)"
    # (group, name, callable); None: the group's numpy or skimage loop.
    rows = [
        ("gaussian", "numpy loop (per image)", None),
        ("gaussian", "skimage random_noise (per image)", None),
        (
            "gaussian",
            "keras GaussianNoise, tf.data per-element map",
            element_map(images, b, keras_noise),
        ),
        (
            "gaussian",
            f"keras GaussianNoise, {pipeline}",
            batched_map(images, b, keras_noise),
        ),
        (
            "gaussian",
            "raw tf stateless_normal philox, " + pipeline,
            batched_map(images, b, raw_stateless("philox")),
        ),
        (
            "gaussian",
            "raw tf.random.normal (stateful), " + pipeline,
            batched_map(images, b, raw_stateful),
        ),
        (
            "gaussian",
            "raw seed variable + stateless_normal, " + pipeline,
            batched_map(images, b, raw_seed_variable()),
        ),
        (
            "gaussian",
            "raw stateless_normal philox, per-element map",
            element_map(images, b, raw_stateless("philox")),
        ),
        (
            "gaussian",
            "identity (no corruption), corrupted_pairs: pipeline ceiling",
            batched_map(images, b, lambda x: x),
        ),
        (
            "gaussian",
            "standard normal draw only (Box-Muller), " + pipeline,
            batched_map(images, b, standard_normal_only),
        ),
        ("salt & pepper", "numpy loop (per image)", None),
        ("salt & pepper", "skimage random_noise (per image)", None),
        (
            "salt & pepper",
            "one uniform per pixel only, " + pipeline,
            batched_map(images, b, uniform_per_pixel),
        ),
        (
            "salt & pepper",
            "impulses without the final clip, " + pipeline,
            batched_map(images, b, impulses_without_clip(salt_pepper)),
        ),
    ]
    layers = [
        ("gaussian", "AdditiveGaussianNoise", gauss),
        ("speckle", "SpeckleNoise", speckle),
        ("salt & pepper", "SaltAndPepperNoise", salt_pepper),
        ("3-way mix", "RandomCorruption", mix),
    ]
    for group, name, layer in layers:
        if group in ("speckle", "3-way mix"):
            reference = (
                "numpy loop (per image, random choice)"
                if group == "3-way mix"
                else "numpy loop (per image)"
            )
            rows += [
                (group, reference, None),
                (group, "skimage random_noise (per image)", None),
            ]
        rows += [
            (group, f"{name}, {pipeline}", batched_map(images, b, layer)),
            (
                group,
                f"{name}, tf.data per-element map",
                element_map(images, b, layer),
            ),
            (
                group,
                f"{name}, eager call on batches",
                eager_batches(images, b, layer),
            ),
            (
                group,
                f"{name}, tf.function on batches",
                compiled_batches(images, b, layer),
            ),
        ]
    numpy_fns = {
        "gaussian": numpy_gaussian,
        "speckle": numpy_speckle,
        "salt & pepper": numpy_salt_pepper,
        "3-way mix": numpy_mix,
    }
    order = ["gaussian", "speckle", "salt & pepper", "3-way mix"]
    rows.sort(key=lambda row: order.index(row[0]))
    candidates = {}
    for group, name, fn in rows:
        if fn is None:
            if name.startswith("skimage"):
                fn = numpy_loop(SKIMAGE[group](), images)
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
            if name.split(",")[0] in TARGET_LAYERS and name.endswith(
                "batched map)"
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
