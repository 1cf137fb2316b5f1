"""Self-supervised denoising: trained from noisy images alone vs. clean targets.

Trains one network, the body of a `residual_denoiser` (DnCNN, depth 8, 32
filters, no batch normalization) without its residual skip, so that it
outputs the image (a network that adds its input to its output learns to
copy the masked pixel's replacement under Noise2Void), three ways for the
same wall-clock time each: `Noise2Void` and `Neighbor2Neighbor` on the noisy
Train400 images only, and with clean targets (plain MSE) as the reference.
The noise (sigma 25 on the 0-255 scale) is added once, with numpy, seeded,
in float and not clipped, and every method trains on random 48x48 crops of
that one noisy set, batch 32, Adam with its learning rate cosine-decayed
from 1e-3 over the budget. Evaluation follows the DnCNN protocol on Set12 at
sigma 25: noise added in float, seeded per image, not clipped; the output
clipped to [0, 1] and rounded to 8 bits; PSNR per image, averaged. BM3D (the
`bm3d` package, with the true sigma) and scikit-image's NL-means (h = 0.8
sigma, fast mode) denoise the same noisy images in the same run.

For orientation: the n2v authors' reproducibility notebook reports 27.71 dB
for Noise2Void on BSD68 at sigma 25, whose noisy input is at
20 log10(255 / 25) = 20.17 dB: a margin of 7.54 dB over the input.

    python benchmarks/self_supervised.py [--quick] [--output PATH]
        [--minutes M] [--train DIR] [--test DIR]

`--quick` trains a few seconds per method on crops of scikit-image's bundled
images, so it needs neither the data folders nor `bm3d`.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import glob  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from _budget import TimeBudget  # noqa: E402
from skimage import restoration  # noqa: E402

import keras_denoise  # noqa: E402

SIGMA = 25
PUBLISHED_N2V = 27.71  # BSD68, sigma 25, the n2v reproducibility notebook
NOISY_PSNR = 20 * math.log10(255 / SIGMA)
PEAK_LR = 1e-3
BATCH = 32


def read_gray(directory):
    from PIL import Image

    paths = sorted(glob.glob(os.path.join(directory, "*.png")))
    if not paths:
        raise SystemExit(f"no PNG images in {directory!r}")
    return [
        np.asarray(Image.open(p).convert("L"), dtype="float64") / 255.0
        for p in paths
    ]


def add_noise(image, seed):
    """DnCNN protocol: Gaussian noise on the 0-255 scale, float, unclipped."""
    rng = np.random.default_rng(seed)
    noisy = image * 255.0 + rng.normal(0.0, SIGMA, image.shape)
    return (noisy / 255.0).astype("float32")


def psnr_8bit(clean, denoised):
    """PSNR of the output clipped to [0, 1] and rounded to 8 bits."""
    out = np.round(np.clip(denoised, 0.0, 1.0) * 255.0)
    reference = np.round(clean * 255.0)
    mse = np.mean((out - reference) ** 2)
    return 10 * math.log10(255.0**2 / mse)


def crops(noisy, clean, patch, seed):
    """An endless `tf.data` stream of aligned random crops, batched."""
    import tensorflow as tf

    pairs = np.stack([noisy, clean.astype("float32")], axis=-1)
    return (
        tf.data.Dataset.from_tensor_slices(pairs)
        .shuffle(len(pairs), seed=seed)
        .repeat()
        .map(
            lambda p: tf.image.random_crop(p, (patch, patch, 2), seed=seed),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .batch(BATCH)
        .map(lambda b: (b[..., :1], b[..., 1:]))
    )


def network():
    dncnn = keras_denoise.models.residual_denoiser(
        channels=1, depth=8, filters=32, batch_norm=False
    )
    # The convolutions alone, predicting the image rather than the noise.
    return keras.Model(dncnn.input, dncnn.get_layer("noise").output)


def train(method, noisy, clean, patch, seconds):
    """Trains `method` for `seconds`; returns the denoiser and its steps."""
    keras.utils.set_random_seed(0)
    denoiser = network()
    stream = crops(noisy, clean, patch, seed=1)
    if method == "clean targets (MSE)":
        model = denoiser
        model.compile(keras.optimizers.Adam(PEAK_LR), "mse")
    else:
        stream = stream.map(lambda x, y: x)  # the clean crops are dropped
        wrapper = {
            "Noise2Void": keras_denoise.models.Noise2Void,
            "Neighbor2Neighbor": keras_denoise.models.Neighbor2Neighbor,
        }[method]
        model = wrapper(denoiser, seed=2)
        model.compile(keras.optimizers.Adam(PEAK_LR))
    budget = TimeBudget(seconds, PEAK_LR)
    model.fit(
        stream.prefetch(4),
        epochs=10**6,
        steps_per_epoch=20,
        verbose=0,
        callbacks=[budget],
    )
    return denoiser, budget.steps


def classical_methods():
    methods = {
        "NL-means (scikit-image, h = 0.8 sigma)": lambda image: (
            restoration.denoise_nl_means(
                image,
                h=0.8 * SIGMA / 255.0,
                sigma=SIGMA / 255.0,
                fast_mode=True,
                patch_size=5,
                patch_distance=6,
            )
        ),
    }
    try:
        import bm3d
    except ImportError:
        return methods, False
    methods["BM3D (bm3d package, true sigma)"] = lambda image: bm3d.bm3d(
        image, sigma_psd=SIGMA / 255.0
    )
    return methods, True


def quick_data():
    images = keras_denoise.datasets.load_natural_images(grayscale=True)
    images = [np.asarray(im[..., 0], dtype="float64") for im in images.values()]
    train = [im[:64, :64] for im in images[:8]]
    test = [im[-48:, -48:] for im in images[:2]]
    return train, test


def main():
    def extra(parser):
        parser.add_argument(
            "--minutes",
            type=float,
            default=None,
            help="training minutes per learned method (default 4; a few "
            "seconds with --quick)",
        )
        parser.add_argument(
            "--train",
            default="../shared/data/train400",
            help="folder of clean training PNGs (noise is added once)",
        )
        parser.add_argument(
            "--test", default="../shared/data/set12", help="test PNGs"
        )

    args = _common.parse_args(
        __doc__.splitlines()[0],
        "benchmarks/results/self_supervised.json",
        extra,
    )
    report = _common.Report("self_supervised", args)
    quick = args.quick
    seconds = 60.0 * args.minutes if args.minutes else (3.0 if quick else 240.0)
    if quick:
        train_images, test_images = quick_data()
        patch = 32
    else:
        train_images = read_gray(args.train)
        test_images = read_gray(args.test)
        patch = 48
    clean = np.stack(train_images).astype("float32")
    noisy = np.stack(
        [add_noise(im, seed=i) for i, im in enumerate(train_images)]
    )
    learned = ["Noise2Void", "Neighbor2Neighbor", "clean targets (MSE)"]
    methods, have_bm3d = classical_methods()
    rows = []
    denoisers = {}
    for method in learned:
        start = time.perf_counter()
        denoiser, steps = train(method, noisy, clean, patch, seconds)
        rows.append([method, seconds, time.perf_counter() - start, steps])
        denoisers[method] = denoiser
    report.table(
        f"Training, equal time per method ({len(train_images)} images, "
        f"noisy once at sigma {SIGMA}, random {patch}x{patch} crops, "
        f"batch {BATCH}, Adam cosine-decayed from {PEAK_LR}; "
        "DnCNN body without the residual skip, depth 8, 32 filters, no BN)",
        ["method", "budget s", "trained s", "steps"],
        rows,
    )
    for method, denoiser in denoisers.items():
        methods[method] = lambda image, d=denoiser: np.asarray(
            d.predict_on_batch(image[None, :, :, None].astype("float32"))
        )[0, :, :, 0]
    results = {"noisy input": []}
    times = {}
    for i, image in enumerate(test_images):
        noisy_image = add_noise(image, seed=1000 + i)
        # The input as it is, unclipped: 20.17 dB in expectation.
        mse = np.mean((noisy_image - image) ** 2)
        results["noisy input"].append(10 * math.log10(1.0 / mse))
        for name, apply in methods.items():
            start = time.perf_counter()
            denoised = apply(noisy_image.astype("float64"))
            times.setdefault(name, []).append(time.perf_counter() - start)
            results.setdefault(name, []).append(psnr_8bit(image, denoised))
    order = ["noisy input"] + learned + [m for m in methods if m not in learned]
    table = []
    for name in order:
        seconds_each = float(np.median(times[name])) if name in times else 0.0
        table.append([name, float(np.mean(results[name])), seconds_each])
    if not have_bm3d:
        table.append(
            ["BM3D: skipped, bm3d not installed (pip install '.[bench]')"]
            + ["skipped"] * 2
        )
    data_name = "bundled crops (--quick)" if quick else "Set12"
    report.table(
        f"{data_name}, sigma {SIGMA}: mean PSNR (dB) per image, output "
        "clipped and rounded to 8 bits (the noisy input unclipped)",
        ["method", "PSNR", "median s per image"],
        table,
    )
    psnr = {row[0]: row[1] for row in table if isinstance(row[1], float)}
    margin = psnr["Noise2Void"] - psnr["noisy input"]
    gap = psnr["clean targets (MSE)"] - psnr["Neighbor2Neighbor"]
    required = PUBLISHED_N2V - NOISY_PSNR
    report.table(
        "Goals (dB)",
        ["goal", "method", "reference", "required", "met"],
        [
            [
                "Neighbor2Neighbor at most 1 dB below clean targets",
                psnr["Neighbor2Neighbor"],
                psnr["clean targets (MSE)"],
                1.0,
                "yes" if gap <= 1.0 else "no",
            ],
            [
                "Noise2Void above the noisy input by the published N2V "
                f"margin ({PUBLISHED_N2V} - {NOISY_PSNR:.2f} dB, BSD68)",
                psnr["Noise2Void"],
                psnr["noisy input"],
                required,
                "yes" if margin >= required else "no",
            ],
        ],
    )
    report.write()


if __name__ == "__main__":
    main()
