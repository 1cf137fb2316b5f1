"""Set12 (or any folder) with the DnCNN protocol, next to the published table.

Denoises every image of each folder at sigma 15, 25 and 50 (noise on the
0-255 scale added in float, seeded, unclipped; outputs clipped and rounded
to 8 bits; PSNR per image, averaged; SSIM beside it) with the package's
shipped `gaussian_gray` model (plain, and with the x8 flip/rotation
self-ensemble), and in the same run with scikit-image's NL-means, TV and
wavelet denoisers and BM3D (the `bm3d` package: bench extra only, its
licence is non-commercial, never a runtime dependency of the package). The
classical denoisers are given the true sigma, as in the published BM3D
figures; the shipped model is blind. Then times each method on one
512x512 image in milliseconds per megapixel.

    python benchmarks/published_tables.py --data ../shared/data/set12 \\
        [--data ../path/to/BSD68] [--quick] [--output PATH]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import time  # noqa: E402

import _common  # noqa: E402
import _protocol  # noqa: E402
import numpy as np  # noqa: E402

import keras_denoise  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "set12")
# TV's weight per sigma, picked by a grid search on a Train400 image (not
# a test image): the weight that gave the best PSNR there, as a multiple
# of sigma on the [0, 1] scale.
TV_WEIGHT_PER_SIGMA = 0.85


def _extra(parser):
    parser.add_argument(
        "--data",
        action="append",
        default=None,
        help="folder of test images (repeatable; default: Set12 in the "
        "shared data folder)",
    )
    parser.add_argument(
        "--model",
        default="gaussian_gray",
        help="shipped model to measure (default: gaussian_gray)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        help="method to leave out (repeatable), e.g. --skip bm3d",
    )


def methods(model, quick, skip):
    """`{name: denoise(noisy, sigma)}` of every method of the run."""
    from skimage import restoration

    from keras_denoise import inference

    def ours(noisy, sigma):
        return model.predict(noisy[None], verbose=0)[0]

    def ours_x8(noisy, sigma):
        return inference.predict_tiled(
            model, noisy, tile_size=None, self_ensemble=True
        )

    def nl_means(noisy, sigma):
        s = sigma / 255.0
        return restoration.denoise_nl_means(
            noisy,
            h=0.8 * s,
            sigma=s,
            fast_mode=True,
            patch_size=5,
            patch_distance=6,
            channel_axis=-1,
        )

    def tv(noisy, sigma):
        return restoration.denoise_tv_chambolle(
            noisy, weight=TV_WEIGHT_PER_SIGMA * sigma / 255.0, channel_axis=-1
        )

    def wavelet(noisy, sigma):
        return restoration.denoise_wavelet(
            noisy,
            sigma=sigma / 255.0,
            method="BayesShrink",
            mode="soft",
            rescale_sigma=True,
            channel_axis=-1,
        )

    def bm3d(noisy, sigma):
        import bm3d as bm3d_package

        out = bm3d_package.bm3d(noisy[..., 0], sigma_psd=sigma / 255.0)
        return np.asarray(out, "float32")[..., None]

    def same_shape(fn):
        # scikit-image drops a channel axis of size one.
        def run(noisy, sigma):
            return np.reshape(fn(noisy, sigma), noisy.shape)

        return run

    nl_means, tv, wavelet = map(same_shape, (nl_means, tv, wavelet))
    table = {
        f"{model.name} (ours)": ours,
        f"{model.name} x8 (ours)": ours_x8,
        "BM3D": bm3d,
        "NL-means": nl_means,
        "TV": tv,
        "wavelet": wavelet,
    }
    if quick:
        table.pop(f"{model.name} x8 (ours)")
    return {
        name: fn
        for name, fn in table.items()
        if not any(s.lower() in name.lower() for s in skip)
    }


def timing(denoisers, image, repeats):
    """Milliseconds per megapixel of each method on `image` (sigma 25)."""
    noisy = _protocol.noisy_version("timing", image, 25)
    megapixels = image.shape[0] * image.shape[1] / 1e6
    result = {}
    for name, fn in denoisers.items():
        fn(noisy, 25)  # warm-up: compilation, caches
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(noisy, 25)
            times.append(time.perf_counter() - start)
        result[name] = 1000.0 * float(np.median(times)) / megapixels
    return result


def _load(folder, channels, quick):
    """The images of `folder`; in quick mode two small crops (or a bundled
    photograph when the folder is absent)."""
    if quick and not os.path.isdir(folder):
        camera = keras_denoise.datasets.load_natural_images(
            ["camera"], grayscale=channels == 1
        )["camera"]
        return {"camera": np.round(camera[:48, :48] * 255) / 255}
    images = _protocol.load_folder(folder, channels)
    if quick:
        images = {n: im[:48, :48] for n, im in list(images.items())[:2]}
    return images


def _available(denoisers):
    """Drops BM3D when the `bm3d` package is missing (a row says so)."""
    skipped = []
    try:
        import bm3d  # noqa: F401
    except ImportError:
        denoisers.pop("BM3D", None)
        skipped.append("BM3D (skipped: the bm3d package is not installed)")
    return skipped


def main():
    args = _common.parse_args(
        __doc__.split("\n\n")[0],
        os.path.join(HERE, "results", "published_tables.json"),
        extra=_extra,
    )
    report = _common.Report("published_tables", args)
    folders = args.data or [DEFAULT_DATA]
    model = keras_denoise.models.pretrained(args.model)
    channels = model.inputs[0].shape[-1]
    denoisers = methods(model, args.quick, args.skip)
    skipped = _available(denoisers)
    sigmas = (25,) if args.quick else _protocol.SIGMAS
    headers = ["method"] + [
        f"σ {s} {m}" for s in _protocol.SIGMAS for m in ("PSNR", "SSIM")
    ]
    for folder in folders:
        title = os.path.basename(os.path.normpath(folder))
        images = _load(folder, channels, args.quick)
        rows = []
        candidates = {"noisy input": lambda noisy, sigma: noisy, **denoisers}
        for name, fn in candidates.items():
            start = time.perf_counter()
            table = _protocol.score(images, fn, sigmas)
            row = [name]
            for s in _protocol.SIGMAS:
                row += (
                    [table[s]["psnr"], table[s]["ssim"]]
                    if s in table
                    else ["-", "-"]
                )
            rows.append(row)
            print(f"{title} {name}: {time.perf_counter() - start:.0f} s")
        rows += [[name] + ["-"] * (len(headers) - 1) for name in skipped]
        if title.lower() == "set12":
            for name, figures in _protocol.PUBLISHED_SET12.items():
                row = [f"{name} (published)"]
                for value in figures:
                    row += [value, "-"]
                rows.append(row)
        report.table(
            f"{title}: {len(images)} images, PSNR (dB) / SSIM", headers, rows
        )

    reference = next(
        (
            image
            for image in _load(folders[0], channels, args.quick).values()
            if image.shape[:2] == (512, 512)
        ),
        np.full((64, 64, channels), 0.5, "float32"),
    )
    repeats = 1 if args.quick else (args.repeats or 3)
    speed = timing(denoisers, reference, repeats)
    report.table(
        f"Speed on one {reference.shape[0]}x{reference.shape[1]} image "
        f"(median of {repeats})",
        ["method", "ms per megapixel"],
        [[name, ms] for name, ms in speed.items()],
    )
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
