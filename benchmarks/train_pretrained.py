"""Trains the denoisers shipped as `keras_denoise.models.pretrained(name)`.

The recipe: random square patches of the training images with a random
flip/rotation (the 8 symmetries of the square), blind Gaussian noise of a
standard deviation drawn per patch from [0, 55] on the 0-255 scale, added
inside the model by the package's `AdditiveGaussianNoise` (unclipped, as in
the test protocol), L1 loss, Adam with a cosine-decayed rate. Training can
stop at any moment: `keras.callbacks.BackupAndRestore` keeps the state of
the last finished epoch in `--workdir`, and running the same command again
resumes from it (same schedule, same step count). Each epoch's loss, the
Set12-style validation PSNR at sigma 25, the steps and the CPU seconds
spent so far go to `log.csv` in the work folder. SIGINT, SIGTERM and SIGHUP
stop the run at the end of the current epoch, after its backup is written,
so a stopped session never leaves a half-written checkpoint behind; a
second signal stops it at once.

    nice python benchmarks/train_pretrained.py --name gaussian_gray \\
        --data ../shared/data/train400 --validation ../shared/data/set12 \\
        --hours 2

`--export` writes the trained weights of the work folder to the package's
`keras_denoise/models/weights/NAME.weights.h5` without training.
"""

import argparse
import csv
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ARCHITECTURES = {
    # The shipped architecture: see docs/models/*.md for why.
    "unet": {
        "builder": "unet_denoiser",
        "kwargs": {"filters": [32, 64, 128, 256], "blocks": 1},
    },
    # The DnCNN-style reference it was measured against.
    "residual": {
        "builder": "residual_denoiser",
        "kwargs": {"depth": 8, "filters": 32, "batch_norm": False},
    },
}
MAX_SIGMA = 55.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--name",
        default="gaussian_gray",
        help="model name to train (default: gaussian_gray)",
    )
    parser.add_argument(
        "--data",
        help="folder of training images (gray models); colour models also "
        "use the photographs bundled with scikit-image, scikit-learn and "
        "matplotlib",
    )
    parser.add_argument("--validation", help="folder of validation images")
    parser.add_argument("--channels", type=int, default=None)
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="unet")
    parser.add_argument("--workdir", default=None)
    parser.add_argument(
        "--hours", type=float, default=1.0, help="wall-clock budget of this run"
    )
    parser.add_argument(
        "--cpu-hours",
        type=float,
        default=None,
        help="stop once the whole training (all runs) has used this much "
        "CPU time",
    )
    parser.add_argument("--total-steps", type=int, default=60000)
    parser.add_argument("--steps-per-epoch", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--patch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--validate-every", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export", action="store_true")
    parser.add_argument(
        "--settle-steps",
        type=int,
        default=0,
        help="instead of resuming, train the newest weights this many steps "
        "at --settle-rate (a low constant rate that lets the weights settle "
        "before an export); writes last.weights.h5",
    )
    parser.add_argument("--settle-rate", type=float, default=2e-5)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few steps of a tiny run in a temporary folder on a bundled "
        "photograph: checks the script runs (CI smoke test)",
    )
    parser.add_argument(
        "--output", default=None, help="JSON summary of the run's log"
    )
    parser.add_argument("--repeats", type=int, default=None, help="unused")
    args = parser.parse_args(argv)
    if args.quick:
        import tempfile

        args.workdir = tempfile.mkdtemp(prefix="train_pretrained_")
        args.total_steps = args.steps_per_epoch = 2
        args.batch_size, args.patch_size = 2, 32
        args.validate_every = 1
    if args.channels is None:
        args.channels = 3 if "color" in args.name else 1
    if args.workdir is None:
        here = os.path.dirname(os.path.abspath(__file__))
        args.workdir = os.path.join(
            here, "training", f"{args.name}-{args.arch}"
        )
    return args


def training_images(args):
    """The training images as a list of float32 arrays (h, w, channels)."""
    from _protocol import load_folder

    images = []
    if args.data:
        images += list(load_folder(args.data, args.channels).values())
    elif args.quick and args.channels == 1:
        from keras_denoise import datasets

        images.append(
            datasets.load_natural_images(["camera"], grayscale=True)["camera"]
        )
    if args.channels == 3:
        images += bundled_color_photos()
    if not images:
        raise SystemExit("no training images: give --data")
    return images


def bundled_color_photos():
    """Colour photographs that ship inside installed packages (no download).

    `astronaut` is held out for validation.
    """
    from keras_denoise import datasets

    names = ["chelsea", "coffee", "rocket", "immunohistochemistry"]
    photos = list(datasets.load_natural_images(names).values())
    from sklearn.datasets import load_sample_images

    photos += [x.astype("float32") / 255.0 for x in load_sample_images().images]
    # The left view of scikit-image's stereo pair (the right view shows
    # the same scene).
    from skimage import data

    photos.append(data.stereo_motorcycle()[0].astype("float32") / 255.0)
    try:
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            from PIL import Image

            photos.append(np.asarray(Image.open(f), "float32") / 255.0)
    except (ImportError, OSError):
        pass
    return [p[..., :3] for p in photos]


def validation_images(args):
    from _protocol import load_folder

    if args.validation:
        return load_folder(args.validation, args.channels)
    from keras_denoise import datasets

    photo = datasets.load_natural_images(
        ["astronaut"], grayscale=args.channels == 1
    )["astronaut"]
    if args.quick:
        photo = photo[:48, :48]
    return {"astronaut": np.round(photo * 255.0) / 255.0}


def make_patches(images, args):
    """A `keras.utils.PyDataset` of random augmented clean patches."""
    import keras

    sizes = np.array([im.shape[0] * im.shape[1] for im in images], "float64")
    weights = sizes / sizes.sum()
    size = args.patch_size

    class Patches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(args.seed + int(time.time()))

        def __len__(self):
            return args.steps_per_epoch

        def __getitem__(self, index):
            batch = np.empty(
                (args.batch_size, size, size, args.channels), "float32"
            )
            picks = self.rng.choice(len(images), args.batch_size, p=weights)
            for i, pick in enumerate(picks):
                image = images[pick]
                top = self.rng.integers(0, image.shape[0] - size + 1)
                left = self.rng.integers(0, image.shape[1] - size + 1)
                patch = image[top : top + size, left : left + size]
                patch = np.rot90(patch, self.rng.integers(4))
                if self.rng.integers(2):
                    patch = patch[:, ::-1]
                batch[i] = patch
            return batch, batch

    return Patches()


def build(args, corruption=None):
    from keras_denoise import models

    spec = ARCHITECTURES[args.arch]
    builder = getattr(models, spec["builder"])
    return builder(
        channels=args.channels, corruption=corruption, **spec["kwargs"]
    )


class Progress:
    """Steps, CPU and wall seconds spent on the run, across resumes."""

    def __init__(self, path):
        self.path = path
        self.state = {"cpu_seconds": 0.0, "wall_seconds": 0.0}
        if os.path.exists(path):
            with open(path) as f:
                self.state = json.load(f)
        self.cpu0 = time.process_time()
        self.wall0 = time.time()
        self.base = dict(self.state)

    def update(self):
        self.state["cpu_seconds"] = self.base["cpu_seconds"] + (
            time.process_time() - self.cpu0
        )
        self.state["wall_seconds"] = self.base["wall_seconds"] + (
            time.time() - self.wall0
        )
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f)
        os.replace(tmp, self.path)


class StopAtEpochEnd:
    """Defers a stop signal to the end of the epoch that is running.

    The first SIGINT, SIGTERM or SIGHUP is recorded and `requested` turns
    true; the training loop stops once the epoch's backup is on disk. A
    second signal raises `KeyboardInterrupt` at once.
    """

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self):
        import signal

        self.received = []
        for name in self.NAMES:
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self._handle)

    def _handle(self, signum, frame):
        self.received.append(signum)
        if len(self.received) > 1:
            raise KeyboardInterrupt
        print(f"signal {signum}: stopping at the end of this epoch", flush=True)

    @property
    def requested(self):
        return bool(self.received)


def validate(model, images, sigma=25):
    from _protocol import score

    def denoise(noisy, _):
        return model.predict(noisy[None], verbose=0)[0]

    return score(images, denoise, sigmas=(sigma,))[sigma]


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from keras_denoise import layers

    os.makedirs(args.workdir, exist_ok=True)
    if args.export:
        return export(args)
    if args.settle_steps:
        return settle(args)

    noise = layers.AdditiveGaussianNoise(
        stddev=(0.0, MAX_SIGMA / 255.0), value_range=None, seed=args.seed
    )
    model = build(args, corruption=noise)
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate,
        decay_steps=args.total_steps,
        alpha=0.02,
        warmup_target=None,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule), loss="mean_absolute_error"
    )
    patches = make_patches(training_images(args), args)
    val = validation_images(args)
    progress = Progress(os.path.join(args.workdir, "progress.json"))
    log_path = os.path.join(args.workdir, "log.csv")
    deadline = time.time() + args.hours * 3600.0
    epochs = -(-args.total_steps // args.steps_per_epoch)
    stop = StopAtEpochEnd()

    class Log(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            progress.update()
            row = {
                "epoch": epoch + 1,
                "steps": (epoch + 1) * args.steps_per_epoch,
                "loss": float(logs["loss"]),
                "cpu_seconds": round(progress.state["cpu_seconds"], 1),
                "wall_seconds": round(progress.state["wall_seconds"], 1),
                "val_psnr_25": "",
                "val_ssim_25": "",
            }
            if (epoch + 1) % args.validate_every == 0:
                result = validate(self.model, val)
                row["val_psnr_25"] = round(result["psnr"], 3)
                row["val_ssim_25"] = round(result["ssim"], 4)
            new = not os.path.exists(log_path)
            with open(log_path, "a", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(row))
                if new:
                    writer.writeheader()
                writer.writerow(row)
            print(json.dumps(row), flush=True)
            if (
                stop.requested
                or time.time() > deadline
                or (
                    args.cpu_hours is not None
                    and progress.state["cpu_seconds"] > args.cpu_hours * 3600.0
                )
            ):
                self.model.stop_training = True

    model.fit(
        patches,
        epochs=epochs,
        verbose=0,
        callbacks=[
            keras.callbacks.BackupAndRestore(
                os.path.join(args.workdir, "backup"), delete_checkpoint=False
            ),
            Log(),
        ],
    )
    # The weights at the end of the run are the backup of its last epoch:
    # BackupAndRestore wrote them, so nothing more is saved here.
    if args.output:
        summarize(args, log_path)
    return 0


def summarize(args, log_path):
    """Writes the log as the benchmarks' JSON report."""
    import _common

    report = _common.Report("train_pretrained", args)
    with open(log_path) as f:
        rows = list(csv.DictReader(f))
    headers = list(rows[0])

    def cell(value):
        try:
            return float(value)
        except ValueError:
            return value or "-"

    report.table(
        f"Training log of {args.name} ({args.arch})",
        headers,
        [[cell(row[h]) for h in headers] for row in rows],
    )
    report.write()


def settle(args):
    """Trains the newest weights `--settle-steps` steps at `--settle-rate`."""
    import keras

    from keras_denoise import layers

    noise = layers.AdditiveGaussianNoise(
        stddev=(0.0, MAX_SIGMA / 255.0), value_range=None, seed=args.seed + 1
    )
    model = _trained_model(args, noise)
    model.compile(
        optimizer=keras.optimizers.Adam(args.settle_rate),
        loss="mean_absolute_error",
    )
    args.steps_per_epoch = args.settle_steps
    model.fit(make_patches(training_images(args), args), epochs=1, verbose=0)
    result = validate(model, validation_images(args))
    save_last(model, args.workdir, settle_steps=args.settle_steps)
    row = {
        "settle_steps": args.settle_steps,
        "settle_rate": args.settle_rate,
        "val_psnr_25": round(result["psnr"], 3),
        "val_ssim_25": round(result["ssim"], 4),
    }
    with open(os.path.join(args.workdir, "settle.json"), "w") as f:
        json.dump(row, f, indent=2)
    print(json.dumps(row), flush=True)
    return 0


def _trained_model(args, corruption):
    """The work folder's newest weights in a model with `corruption`."""
    import keras

    model = build(args, corruption=corruption)
    # The backup also holds the optimizer's state: load it into a compiled
    # model whose optimizer is built, then keep the layers' weights only.
    model.compile(optimizer=keras.optimizers.Adam(), loss="mae")
    model.optimizer.build(model.trainable_variables)
    path = trained_weights(args.workdir)
    if path.endswith("last.weights.h5"):
        fresh = build(args, corruption=corruption)
        fresh.load_weights(path)
        model = fresh
    else:
        model.load_weights(path)
    return model


def _backup_epoch(workdir):
    """The epochs the backup holds, or -1 without one."""
    path = os.path.join(workdir, "backup", "training_metadata.json")
    if not os.path.exists(path):
        return -1
    with open(path) as f:
        return int(json.load(f)["epoch"])


def save_last(model, workdir, settle_steps):
    """Writes `last.weights.h5` and, beside it, `last.json`: the backup's
    epoch the weights were trained from and the settling steps on top."""
    model.save_weights(os.path.join(workdir, "last.weights.h5"))
    with open(os.path.join(workdir, "last.json"), "w") as f:
        json.dump(
            {"epoch": _backup_epoch(workdir), "settle_steps": settle_steps},
            f,
            indent=2,
        )
        f.write("\n")


def trained_weights(workdir):
    """The newest weights of a work folder: `last.weights.h5` (settled
    weights) when it was settled from the backup's epoch or a later one,
    else the last finished epoch's backup (the optimizer's state is left
    out). Decided by the epochs recorded, not by
    file times, which a fresh checkout sets arbitrarily."""
    last = os.path.join(workdir, "last.weights.h5")
    backup = os.path.join(workdir, "backup", "latest.weights.h5")
    last_json = os.path.join(workdir, "last.json")
    if os.path.exists(last) and os.path.exists(last_json):
        with open(last_json) as f:
            if json.load(f)["epoch"] >= _backup_epoch(workdir):
                return last
    if os.path.exists(backup):
        return backup
    if os.path.exists(last):
        return last
    raise SystemExit(f"no trained weights in {workdir}")


def export(args):
    """Copies the work folder's newest weights into the package, with the
    architecture beside them (`keras_denoise/models/weights/NAME.json`)."""

    from keras_denoise import layers

    trained = _trained_model(args, layers.AdditiveGaussianNoise(0.0))
    model = build(args)
    model.set_weights(trained.get_weights())
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "keras_denoise", "models", "weights")
    os.makedirs(target, exist_ok=True)
    model.save_weights(os.path.join(target, f"{args.name}.weights.h5"))
    spec = ARCHITECTURES[args.arch]
    kwargs = dict(spec["kwargs"], channels=args.channels)
    with open(os.path.join(target, f"{args.name}.json"), "w") as f:
        json.dump({"builder": spec["builder"], "kwargs": kwargs}, f, indent=2)
        f.write("\n")
    print(
        f"wrote {os.path.normpath(target)}/{args.name}.weights.h5 "
        f"({model.count_params()} parameters, {spec['builder']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
