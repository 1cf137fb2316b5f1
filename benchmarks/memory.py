"""Memory: streaming a folder of large images against loading them all.

Writes a folder pair (noisy/clean) of large PNGs, then measures in a fresh
subprocess per variant the peak resident memory (`ru_maxrss`) of:

- importing TensorFlow and keras_denoise only (the floor);
- `keras_denoise.datasets.paired_image_directory` streaming one epoch of
  random crops;
- the same epoch from arrays after reading every image into memory
  (`read_image` of each file, then `tf.data.Dataset.from_tensor_slices`).

    python benchmarks/memory.py [--quick] [--output PATH]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

CROP, BATCH = 128, 16


def worker(variant, root):
    import resource

    import numpy as np
    import tensorflow as tf

    import keras_denoise

    noisy_dir = os.path.join(root, "noisy")
    clean_dir = os.path.join(root, "clean")
    start = time.perf_counter()
    batches = 0
    if variant == "stream":
        dataset = keras_denoise.datasets.paired_image_directory(
            noisy_dir, clean_dir, crop_size=CROP, batch_size=BATCH, seed=0
        )
    elif variant == "load_all":
        read = keras_denoise.datasets.read_image
        names = sorted(os.listdir(clean_dir))
        noisy = np.stack([read(os.path.join(noisy_dir, n))[0] for n in names])
        clean = np.stack([read(os.path.join(clean_dir, n))[0] for n in names])

        def crop(x, y):
            pair = tf.image.random_crop(
                tf.stack([x, y]), (2, CROP, CROP, x.shape[-1]), seed=0
            )
            return pair[0], pair[1]

        dataset = (
            tf.data.Dataset.from_tensor_slices((noisy, clean))
            .shuffle(len(names), seed=0)
            .map(crop)
            .batch(BATCH)
        )
    else:
        dataset = []
    for _ in dataset:
        batches += 1
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "peak_mib": peak_kib / 1024,
                "seconds": seconds,
                "batches": batches,
            }
        )
    )


def make_folder(root, count, size):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for sub in ("noisy", "clean"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    y, x = np.mgrid[0:size, 0:size] / size
    for i in range(count):
        phase = rng.random(3) * 6
        clean = np.stack(
            [0.5 + 0.5 * np.sin(8 * x + 5 * y + p) for p in phase], -1
        )
        noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
        for sub, image in (("clean", clean), ("noisy", noisy)):
            Image.fromarray((image * 255).astype("uint8")).save(
                os.path.join(root, sub, f"{i:03d}.png"), compress_level=1
            )


def main():
    import _common

    def extra(parser):
        parser.add_argument("--worker", help="internal: one variant")
        parser.add_argument("--root", help="internal: the image folders")

    args = _common.parse_args(
        __doc__.splitlines()[0], "benchmarks/results/memory.json", extra
    )
    if args.worker:
        worker(args.worker, args.root)
        return
    report = _common.Report("memory", args)
    count, size = (4, 256) if args.quick else (24, 1536)
    repeats = args.repeats or (1 if args.quick else 3)
    variants = {
        "import only (floor)": "none",
        "paired_image_directory, streaming": "stream",
        "read all images, then from_tensor_slices": "load_all",
    }
    with tempfile.TemporaryDirectory() as root:
        make_folder(root, count, size)
        results = {name: [] for name in variants}
        for order in _common.rotations(list(variants), repeats):
            for name in order:
                variant = variants[name]
                out = subprocess.run(
                    [
                        sys.executable,
                        os.path.abspath(__file__),
                        "--worker",
                        variant,
                        "--root",
                        root,
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode != 0:
                    sys.stderr.write(out.stderr[-4000:])
                    raise RuntimeError(f"{variant} worker failed")
                results[name].append(
                    json.loads(out.stdout.strip().splitlines()[-1])
                )
    floor = _common.median(
        [r["peak_mib"] for r in results["import only (floor)"]]
    )
    decoded = 2 * count * size * size * 3 * 4 / 2**20
    rows = []
    for name, runs in results.items():
        peak = _common.median([r["peak_mib"] for r in runs])
        rows.append(
            [
                name,
                peak,
                peak - floor,
                _common.median([r["seconds"] for r in runs]),
                runs[0]["batches"],
            ]
        )
    report.table(
        f"{count} pairs of {size}x{size}x3 PNGs (decoded float32: "
        f"{decoded:.0f} MiB), crops {CROP}, batch {BATCH}; peak RSS, median "
        f"of {repeats} processes",
        ["variant", "peak RSS MiB", "above floor MiB", "epoch s", "batches"],
        rows,
    )
    report.write()


if __name__ == "__main__":
    main()
