"""The `train`, `denoise`, `evaluate` and `sample` subcommands."""

import json
import math
import os
import time

from keras_denoise.cli import specs
from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import TiledModel
from keras_denoise.cli._runtime import denoise_array
from keras_denoise.cli._runtime import image_input_shape
from keras_denoise.cli._runtime import import_keras
from keras_denoise.cli._runtime import load_model
from keras_denoise.cli._runtime import save_model_atomic

MODELS = (
    "residual_denoiser",
    "conv_autoencoder",
    "dense_autoencoder",
    "backbone_autoencoder",
    "variational_autoencoder",
    "denoise_classifier",
    "inception_denoise_classifier",
    "cnn_classifier",
    "latent_classifier",
)
# Models trained on images with class labels.
LABELLED_MODELS = (
    "denoise_classifier",
    "inception_denoise_classifier",
    "cnn_classifier",
    "latent_classifier",
)
LABELLED_DATA = ("digits", "faces", "mnist", "fashion")
DEFAULT_BACKBONE = "MobileNetV2"
# Size of the latent code of latent_classifier's conv autoencoder.
LATENT_DIM = 32
DEFAULT_NOISE = "gaussian:0-50"
# The default job: a small DnCNN on 40x40 grayscale patches. Sized so that
# `keras-denoise train` finishes in a few minutes on a 2-core CPU.
DEFAULT_DEPTH = 8
DEFAULT_FILTERS = 32
DEFAULT_PATCH = 40
DEFAULT_EVAL_PATCH = 96
# Held-out files of a directory evaluated after training, at full size.
DEFAULT_MAX_EVAL_FILES = 16
LEARNING_RATE = 3e-3


def _say(message):
    print(message, flush=True)


# ---------------------------------------------------------------- data


class Data:
    """Training arrays or streams and held-out clean images for one spec.

    The held-out images are made by `held_out(size)` once the model is
    known: bundled data as arrays, directories and pairs as generators that
    read one file at a time.
    """

    def __init__(self):
        self.train = None  # array of clean images, or None when streamed
        self.train_labels = None
        self.stream = None  # tf.data dataset of (noisy, clean) or clean
        self.stream_kind = None  # "clean" (corrupt on the fly) or "pairs"
        self.test = None  # held-out clean images (array), bundled data
        self.test_labels = None
        self.test_files = None  # held-out clean files, directories/pairs
        self.test_noisy_files = None  # their real noisy versions (pairs)
        self.num_classes = None
        self.channels = None
        self.image_size = None  # fixed training size, None = any
        self.natural = None  # (grayscale, patches per photo, seed)

    def held_out(self, size=None):
        """`(clean, noisy)` held-out images for a model of input `size`
        `(height, width)`, or any size for `None`.

        Bundled photographs give patches (96 pixels, or the model's size);
        labelled sets their test images (fitted to the model's size);
        directories and pairs generators of the full images (centre crops
        of the model's size for fixed-size models). `noisy` is `None`
        unless the data are real pairs.
        """
        if self.natural is not None:
            from keras_denoise import datasets

            grayscale, count, seed = self.natural
            side = DEFAULT_EVAL_PATCH if size is None else max(size)
            _, test = datasets.natural_patches(
                side, patches_per_image=count, grayscale=grayscale, seed=seed
            )
            return _fit_size(test, size), None
        if self.test is not None:
            return _fit_size(self.test, size), None
        clean = _read_images(self.test_files, self.channels, size)
        if self.test_noisy_files is None:
            return clean, None
        noisy = _read_images(self.test_noisy_files, self.channels, size)
        return clean, noisy


_LUMA = (0.2125, 0.7154, 0.0721)


def _fit_size(images, size):
    """Fits a batch of images to `size` `(height, width)`: a centre crop,
    after an enlargement (keeping the aspect) when an image is smaller.
    `None` keeps them as they are."""
    if size is None or tuple(images.shape[1:3]) == tuple(size):
        return images
    import numpy as np

    height, width = size
    scale = max(height / images.shape[1], width / images.shape[2])
    if scale > 1:
        import keras

        new = (
            max(height, math.ceil(images.shape[1] * scale)),
            max(width, math.ceil(images.shape[2] * scale)),
        )
        images = np.clip(
            keras.ops.convert_to_numpy(
                keras.ops.image.resize(images, new, interpolation="bicubic")
            ),
            0.0,
            1.0,
        ).astype("float32")
    top = (images.shape[1] - height) // 2
    left = (images.shape[2] - width) // 2
    return images[:, top : top + height, left : left + width]


def _read_images(paths, channels, size):
    """Yields the files one at a time as float32 `(h, w, channels)` images
    (alpha dropped, colour to gray with scikit-image's weights, gray to
    RGB), fitted to `size` when it is given."""
    import numpy as np

    from keras_denoise.datasets import read_image

    for path in paths:
        image, _ = read_image(path)
        if image.shape[-1] in (2, 4):
            image = image[..., :-1]
        if channels == 1 and image.shape[-1] == 3:
            image = (image @ np.array(_LUMA, "float32"))[..., None]
        elif channels == 3 and image.shape[-1] == 1:
            image = np.repeat(image, 3, axis=-1)
        yield _fit_size(image[None], size)[0]


def _held_out_names(stems, fraction, seed):
    import numpy as np

    count = max(1, int(round(len(stems) * fraction)))
    if count >= len(stems):
        raise CLIError(
            f"need at least 2 images to hold some out; found {len(stems)}"
        )
    order = np.random.default_rng(seed).permutation(len(stems))
    return sorted(stems[i] for i in order[:count])


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def _kind_channels(info):
    return 1 if info.channels in (1, 2) else 3


def load_data(spec, args, for_training=True):
    """Resolves a data spec into a `Data`.

    For training, directories and pairs keep a seeded tenth of the files
    (at least one) out of training; at most `--max-eval-images` of them are
    evaluated. Otherwise (`evaluate`) every file is evaluated, or the first
    `--max-eval-images`.
    """
    from keras_denoise import datasets
    from keras_denoise.datasets.image_directory import _pair_infos

    kind = spec[0]
    data = Data()
    seed = args.seed
    if kind == "bundled":
        name = spec[1]
        if name in ("natural", "natural-rgb"):
            gray = name == "natural"
            if for_training:
                data.train, _ = datasets.natural_patches(
                    args.patch_size,
                    patches_per_image=args.patches_per_image,
                    grayscale=gray,
                    seed=seed,
                )
            data.natural = (gray, args.eval_images, seed + 1)
            data.channels = 1 if gray else 3
            return data
        image_size = getattr(args, "image_size", None)
        loader = {
            "digits": lambda: datasets.load_digits(image_size or 16, seed=seed),
            "faces": lambda: datasets.load_faces(image_size or 24, seed=seed),
            "mnist": datasets.load_mnist,
            "fashion": datasets.load_fashion_mnist,
        }[name]
        (x, y), (x_test, y_test) = loader()
        limit = getattr(args, "max_train_images", None)
        data.train, data.train_labels = x[:limit], y[:limit]
        data.test = x_test[: max(args.eval_images * 8, 32)]
        data.test_labels = y_test[: len(data.test)]
        data.num_classes = int(max(y.max(), y_test.max())) + 1
        data.image_size = x.shape[1]
        data.channels = data.test.shape[-1]
        return data
    limit = getattr(args, "max_eval_images", None)
    size = args.patch_size
    if kind == "directory":
        files = datasets.list_image_files(spec[1])
        infos = [datasets.read_image_info(p) for p in files]
        data.channels = _kind_channels(infos[0])
        stems = [_stem(p) for p in files]
        if not for_training:
            data.test_files = files[:limit]
            return data
        held = set(_held_out_names(stems, 0.1, seed))
        data.test_files = [p for p in files if _stem(p) in held][:limit]
        data.stream = datasets.image_directory(
            spec[1],
            crop_size=size,
            batch_size=args.batch_size,
            channels=data.channels,
            seed=seed,
            names=[s for s in stems if s not in held],
        )
        data.stream_kind = "clean"
        return data
    noisy_dir, clean_dir = spec[1], spec[2]
    noisy_files, clean_files = datasets.match_pairs(noisy_dir, clean_dir)
    clean_infos = _pair_infos(noisy_files, clean_files)
    data.channels = _kind_channels(clean_infos[0])
    stems = [_stem(p) for p in clean_files]
    if for_training:
        held = set(_held_out_names(stems, 0.1, seed))
        index = [i for i, s in enumerate(stems) if s in held][:limit]
    else:
        index = list(range(len(stems)))[:limit]
    data.test_files = [clean_files[i] for i in index]
    data.test_noisy_files = [noisy_files[i] for i in index]
    if for_training:
        data.stream = datasets.paired_image_directory(
            noisy_dir,
            clean_dir,
            crop_size=size,
            batch_size=args.batch_size,
            channels=data.channels,
            seed=seed,
            names=[s for s in stems if s not in held],
        )
        data.stream_kind = "pairs"
    return data


# --------------------------------------------------------------- train


def _backbone_factory(name):
    """The `keras.applications` constructor named `name`."""
    import keras

    names = sorted(
        n
        for n in dir(keras.applications)
        if n[:1].isupper() and callable(getattr(keras.applications, n))
    )
    if name not in names:
        raise CLIError(
            f"unknown --backbone {name!r}: choose a keras.applications "
            f"model, one of {', '.join(names)}"
        )
    return getattr(keras.applications, name)


def _backbone(name, shape):
    """A `keras.applications` model without its top and weights, for
    images of `shape`; its own size limits become a one-line error."""
    import inspect
    import warnings

    factory = _backbone_factory(name)
    kwargs = {"weights": None, "include_top": False, "input_shape": shape}
    if "include_preprocessing" in inspect.signature(factory).parameters:
        # Pixels are in [0, 1]: no rescaling from 0-255 inside the model.
        kwargs["include_preprocessing"] = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return factory(**kwargs)
    except ValueError as error:
        detail = str(error).strip().splitlines()[0]
        raise CLIError(
            f"--backbone {name} cannot take {shape[0]}x{shape[1]}x{shape[2]} "
            f"images: {detail} (set the size with --image-size for digits "
            "and faces, --patch-size for natural images and directories)"
        ) from None


def _build_model(name, data, args, corruption):
    """The model to train; for `latent_classifier` the conv autoencoder
    whose encoder it will use (`_latent_classifier` builds it after)."""
    from keras_denoise import layers
    from keras_denoise import models

    size = data.image_size or args.patch_size
    shape = (size, size, data.channels)
    if name == "residual_denoiser":
        return models.residual_denoiser(
            channels=data.channels,
            depth=args.depth or DEFAULT_DEPTH,
            filters=args.filters or DEFAULT_FILTERS,
            # Without batch normalization the small default network
            # learns faster in a few hundred steps.
            batch_norm=False,
        )
    if name in ("conv_autoencoder", "latent_classifier"):
        if name == "latent_classifier":
            return models.conv_autoencoder(shape, latent_dim=LATENT_DIM)
        return models.conv_autoencoder(shape)
    if name == "dense_autoencoder":
        return models.dense_autoencoder(shape)
    if name == "backbone_autoencoder":
        return models.backbone_autoencoder(_backbone(args.backbone, shape))
    if name == "variational_autoencoder":
        # The VAE's loss compares its reconstruction with its own input, so
        # the corruption goes inside the model (active only in training).
        if not isinstance(corruption, layers.BaseCorruption) and not (
            hasattr(corruption, "layers")
        ):
            raise CLIError(
                "--model variational_autoencoder takes one noise kind or a "
                "'+' chain, not a ',' mixture"
            )
        if data.stream_kind == "pairs":
            raise CLIError(
                "--model variational_autoencoder cannot train on "
                "NOISY_DIR:CLEAN_DIR pairs; give clean images"
            )
        return models.variational_autoencoder(
            shape, corruption=corruption, seed=args.seed
        )
    builder = getattr(models, name)
    return builder(shape, data.num_classes)


def _latent_classifier(autoencoder, num_classes):
    from keras_denoise import models

    return models.latent_classifier(
        autoencoder.get_layer("encoder"), num_classes, freeze_encoder=True
    )


def _output_names(model):
    return list(getattr(model, "output_names", None) or [])


def _is_dual(model):
    names = _output_names(model)
    return "denoised" in names and "label" in names


def model_kind(model, path="model"):
    """`"denoiser"` (an image out per image in), `"dual"` (`"denoised"` and
    `"label"` outputs) or `"classifier"` (class probabilities)."""
    _, _, channels = image_input_shape(model, path)
    if _is_dual(model):
        return "dual"
    shapes = [tuple(output.shape) for output in model.outputs]
    if len(shapes) == 1 and len(shapes[0]) == 4 and shapes[0][-1] == channels:
        return "denoiser"
    if len(shapes) == 1 and len(shapes[0]) == 2:
        return "classifier"
    raise CLIError(
        f"{path} is neither an image-to-image model nor a classifier: its "
        f"output shape is {', '.join(map(str, shapes))} for {channels}-"
        "channel images"
    )


def _corrupt_batch(corruption, clean):
    """Corrupts a batch tensor inside a tf.data map."""
    import tensorflow as tf

    if hasattr(corruption, "built"):  # a Keras layer or chain
        return tf.cast(corruption(clean, training=True), tf.float32)
    return tf.cast(corruption(clean), tf.float32)  # a per-sample mixture


def _train_dataset(data, corruption, args, model):
    """A tf.data dataset of (input, target) for `fit`, with fresh noise on
    every batch of every epoch."""
    import tensorflow as tf

    from keras_denoise import datasets
    from keras_denoise.datasets._pipeline import finish

    if _is_vae(model):
        if data.stream is not None:
            return data.stream
        dataset = tf.data.Dataset.from_tensor_slices(data.train)
        return finish(
            dataset.shuffle(len(data.train), seed=args.seed).batch(
                args.batch_size
            )
        )
    if data.stream is not None:
        if data.stream_kind == "pairs":
            return data.stream
        return finish(
            data.stream.map(
                lambda clean: (_corrupt_batch(corruption, clean), clean),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        )
    kind = model_kind(model)
    if kind == "denoiser":
        return datasets.corrupted_pairs(
            data.train, corruption, args.batch_size, seed=args.seed
        )
    if kind == "dual":

        def targets(clean, label):
            return {"denoised": clean, "label": label}

    else:

        def targets(clean, label):
            return label

    dataset = tf.data.Dataset.from_tensor_slices(
        (data.train, data.train_labels)
    )
    dataset = dataset.shuffle(
        len(data.train), seed=args.seed, reshuffle_each_iteration=True
    ).batch(args.batch_size)
    return finish(
        dataset.map(
            lambda clean, label: (
                _corrupt_batch(corruption, clean),
                targets(clean, label),
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    )


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(getattr(layer, "layers", None), list):
            yield from _all_layers(layer)


def _is_vae(model):
    from keras_denoise.layers import VariationalLossLayer

    return any(isinstance(x, VariationalLossLayer) for x in _all_layers(model))


def _compile(model, steps):
    import keras

    kind = model_kind(model)
    if kind == "dual":
        model.compile(
            optimizer="adam",
            loss={
                "denoised": "mse",
                "label": "sparse_categorical_crossentropy",
            },
            metrics={"label": ["accuracy"]},
        )
    elif kind == "classifier":
        model.compile(
            optimizer="adam",
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    elif _is_vae(model):
        model.compile(optimizer="adam")
    else:
        # Cosine decay over the whole run: fast progress early, a settled
        # model at the end of a short training.
        schedule = keras.optimizers.schedules.CosineDecay(
            LEARNING_RATE, max(steps, 1), alpha=0.05
        )
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")


def _noise_sigma(image):
    """Immerkaer's fast estimate of the Gaussian noise sigma of a gray
    image (1996): the mean absolute response to a Laplacian difference
    kernel, which cancels smooth image structure."""
    import numpy as np

    x = image.astype("float64")
    response = (
        x[:-2, :-2]
        - 2 * x[:-2, 1:-1]
        + x[:-2, 2:]
        - 2 * x[1:-1, :-2]
        + 4 * x[1:-1, 1:-1]
        - 2 * x[1:-1, 2:]
        + x[2:, :-2]
        - 2 * x[2:, 1:-1]
        + x[2:, 2:]
    )
    return float(np.sqrt(np.pi / 2) / 6 * np.abs(response).mean())


TV_WEIGHT_PER_SIGMA = 0.8


def _tv_baseline():
    """A classical blind denoiser: scikit-image's total-variation
    (Chambolle) denoising, its weight set from the estimated noise sigma
    (0.8 sigma was best on held-out crops at sigma 15, 25 and 50)."""
    try:
        from skimage.restoration import denoise_tv_chambolle
    except ImportError:
        return None
    import numpy as np

    def tv(batch):
        out = np.empty_like(batch)
        for i, image in enumerate(batch):
            sigma = np.mean(
                [_noise_sigma(image[..., c]) for c in range(image.shape[-1])]
            )
            weight = max(TV_WEIGHT_PER_SIGMA * sigma, 1e-4)
            out[i] = denoise_tv_chambolle(image, weight=weight, channel_axis=-1)
        return out

    return tv


def _check_output_dir(path):
    """Checks that `--output DIR` can be created and written, creating
    nothing: the directory is made only once the run has validated its
    inputs (see `_Outputs`)."""
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise CLIError(f"--output exists and is not a directory: {path}")
        if not os.access(path, os.W_OK | os.X_OK):
            raise CLIError(f"output directory is not writable: {path}")
        return
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise CLIError(
            f"cannot create output directory {path}: {parent} is not a "
            "directory"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CLIError(
            f"cannot create output directory {path}: {parent} is not writable"
        )


def _make_output_dir(path):
    """Creates `--output DIR`; returns whether this call created it."""
    if os.path.isdir(path):
        return False
    try:
        os.makedirs(path)
    except OSError as error:
        raise CLIError(
            f"cannot create output directory {path}: {error.strerror}"
        ) from None
    return True


class _Outputs:
    """The output files of one run, all or nothing.

    Files are written into a hidden staging folder inside `DIR` and moved
    into `DIR` (one rename each) only when the whole block succeeds. On a
    failure the staging folder is removed, and `DIR` too when the run
    created it and it is empty, so a failed run adds nothing.
    """

    def __init__(self, directory):
        self.directory = directory
        self.created = False
        self.stage = None

    def __enter__(self):
        import tempfile

        self.created = _make_output_dir(self.directory)
        self.stage = tempfile.mkdtemp(
            prefix=".keras-denoise-", dir=self.directory
        )
        return self

    def path(self, name):
        """Where to write the output file `name` during the run."""
        return os.path.join(self.stage, name)

    def __exit__(self, exc_type, exc, traceback):
        import shutil

        if exc_type is None:
            for name in sorted(os.listdir(self.stage)):
                os.replace(
                    os.path.join(self.stage, name),
                    os.path.join(self.directory, name),
                )
            os.rmdir(self.stage)
            return False
        shutil.rmtree(self.stage, ignore_errors=True)
        if self.created:
            try:
                os.rmdir(self.directory)
            except OSError:
                pass
        return False


def _fixed_size(model):
    """`(height, width)` of a fixed-size image model, `None` for any."""
    height, width, _ = image_input_shape(model)
    if height is None or width is None:
        return None
    return (height, width)


def _evaluate(model, data, mixture, args, examples_dir):
    from keras_denoise.evaluation import evaluate_corruptions

    baselines = {}
    tv = _tv_baseline()
    if tv is not None:
        baselines["tv"] = tv
    size = _fixed_size(model)
    clean, noisy = data.held_out(size)
    if noisy is not None:
        corruptions = {"paired": noisy, "clean": None}
    else:
        corruptions = _evaluation_set(mixture, args.seed)
    if data.test_files is not None and size is None:
        # Full-size files: restore them as `denoise` does, in tiles.
        model = TiledModel(model)
    return evaluate_corruptions(
        model,
        clean,
        corruptions,
        batch_size=args.batch_size,
        baselines=baselines,
        examples_dir=examples_dir,
    )


def _evaluation_set(mixture, seed):
    if mixture is None:
        from keras_denoise.evaluation import default_corruptions

        return default_corruptions(seed=seed)
    return specs.evaluation_corruptions(mixture, seed=seed)


def _accuracy(model, data, mixture, args):
    """Fraction of held-out images classified right, per corruption.

    The corruptions are made afresh with the seeds `_evaluate` uses and
    applied to the same batches, so a dual model's accuracy and denoising
    figures see the same noisy images.
    """
    import numpy as np

    from keras_denoise._utils import apply_corruption

    clean, _ = data.held_out(_fixed_size(model))
    labels = np.asarray(data.test_labels)
    names = _output_names(model)
    accuracy = {}
    for name, corruption in _evaluation_set(mixture, args.seed).items():
        correct = 0
        for start in range(0, len(clean), args.batch_size):
            batch = clean[start : start + args.batch_size]
            if corruption is not None:
                batch = apply_corruption(corruption, batch).astype("float32")
            probabilities = model.predict(batch, verbose=0)
            if isinstance(probabilities, dict):
                probabilities = probabilities["label"]
            elif isinstance(probabilities, (list, tuple)):
                probabilities = probabilities[names.index("label")]
            predicted = np.argmax(np.asarray(probabilities), axis=-1)
            correct += int(
                np.sum(predicted == labels[start : start + args.batch_size])
            )
        accuracy[name] = correct / len(clean)
    return accuracy, len(clean)


def _steps_per_epoch(dataset):
    import tensorflow as tf

    count = int(dataset.cardinality())
    if count == tf.data.UNKNOWN_CARDINALITY or count < 0:
        return 1000
    return count


def _check_image_size(args, data_spec):
    """`--image-size` resizes digits and faces only; `--max-train-images`
    applies to the labelled sets."""
    labelled = data_spec[0] == "bundled" and data_spec[1] in LABELLED_DATA
    if getattr(args, "max_train_images", None) is not None and not labelled:
        raise CLIError(
            "--max-train-images applies to --data "
            f"{', '.join(LABELLED_DATA)} only; got --data {args.data}"
        )
    size = getattr(args, "image_size", None)
    if size is None:
        return
    if data_spec[0] != "bundled" or data_spec[1] not in ("digits", "faces"):
        raise CLIError(
            "--image-size applies to --data digits and faces only; "
            f"got --data {args.data}"
        )
    if size < 8:
        raise CLIError(f"--image-size must be at least 8, got {size}")


def run_train(args):
    # Validate everything first, creating nothing: the specs, the output
    # path, then the data (pairs are matched, headers read) and the model.
    data_spec = specs.parse_data(args.data)
    mixture = specs.parse_noise(args.noise)
    if args.epochs < 1 or args.batch_size < 1:
        raise CLIError("--epochs and --batch-size must be at least 1")
    if args.patch_size < 8:
        raise CLIError("--patch-size must be at least 8")
    _check_image_size(args, data_spec)
    if args.model in LABELLED_MODELS and not (
        data_spec[0] == "bundled" and data_spec[1] in LABELLED_DATA
    ):
        raise CLIError(
            f"--model {args.model} needs labelled data: use --data "
            f"{', '.join(LABELLED_DATA)} (got --data {args.data})"
        )
    _check_output_dir(args.output)
    started = time.time()
    keras = import_keras()
    keras.utils.set_random_seed(args.seed)
    if args.model == "backbone_autoencoder":
        _backbone_factory(args.backbone)
    _say(f"Loading data: {args.data}")
    data = load_data(data_spec, args)
    corruption = specs.build_training_corruption(mixture, seed=args.seed)
    model = _build_model(args.model, data, args, corruption)
    model_path = os.path.join(args.output, "model.keras")
    histories = {}
    if args.model == "latent_classifier":
        # First a denoising autoencoder, then a classifier on its frozen
        # encoder; the autoencoder is saved as soon as it is trained.
        _say("Stage 1: the conv autoencoder whose encoder is classified")
        histories["autoencoder"] = _fit(model, data, corruption, args)
        _make_output_dir(args.output)
        save_model_atomic(model, os.path.join(args.output, "autoencoder.keras"))
        model = _latent_classifier(model, data.num_classes)
        _say("Stage 2: the classifier on the frozen encoder")
    history = _fit(model, data, corruption, args)
    train_seconds = time.time() - started
    # Save the model at once, so no later failure loses the training.
    _make_output_dir(args.output)
    save_model_atomic(model, model_path)
    try:
        text, report = _write_train_outputs(
            model, data, mixture, args, history, histories, train_seconds
        )
    except Exception as error:  # noqa: BLE001 - say the model is safe
        detail = str(error).strip() or type(error).__name__
        raise CLIError(
            f"{detail} (training finished: the model is saved in "
            f"{model_path}, the other outputs were not written)"
        ) from None
    _say(text)
    if report is not None:
        _print_gains(report)
    written = ["model.keras", "metrics.json", "history.png"]
    if "autoencoder" in histories:
        written.insert(0, "autoencoder.keras")
    if report is not None:
        written.append("examples_*.png")
    _say(
        f"Wrote {args.output}/{', '.join(written[:-1])} and {written[-1]} "
        f"in {time.time() - started:.0f} s"
    )
    return 0


def _fit(model, data, corruption, args):
    dataset = _train_dataset(data, corruption, args, model)
    _compile(model, args.epochs * _steps_per_epoch(dataset))
    count = len(data.train) if data.train is not None else "streamed"
    _say(
        f"Training {model.name} ({model.count_params()} parameters) on "
        f"{count} images against noise {args.noise!r} for {args.epochs} "
        "epoch(s)"
    )
    return model.fit(
        dataset, epochs=args.epochs, verbose=args.verbose, shuffle=False
    )


def _evaluate_model(model, data, mixture, args, examples_dir):
    """Held-out figures: denoising ones for image outputs, accuracy per
    corruption for class outputs (with labelled data).

    Returns:
        `(summary, text, report)`: the dict for metrics.json, the table to
        print and the `CorruptionReport` (`None` for a classifier).
    """
    kind = model_kind(model)
    report = None
    if kind == "classifier":
        summary, text = {"corruptions": {}}, ""
    else:
        report = _evaluate(model, data, mixture, args, examples_dir)
        summary, text = report.to_dict(), str(report)
    if kind != "denoiser" and data.test_labels is not None:
        accuracy, count = _accuracy(model, data, mixture, args)
        summary.setdefault("num_images", count)
        for name, value in accuracy.items():
            summary["corruptions"].setdefault(name, {})["accuracy"] = value
        width = max(len("corruption"), *(len(n) for n in accuracy))
        lines = [f"{'corruption'.ljust(width)}  accuracy"]
        lines += [f"{n.ljust(width)}  {v:8.4f}" for n, v in accuracy.items()]
        lines.append(f"({count} images; fraction of correct labels)")
        text = "\n".join(filter(None, [text, "\n".join(lines)]))
    return summary, text, report


def _write_train_outputs(
    model, data, mixture, args, history, histories, train_seconds
):
    """Held-out evaluation, history plot and metrics.json, all or none."""
    from keras_denoise._utils import write_bytes_atomic
    from keras_denoise.visualization import history_plot

    def curves(fit_history):
        return {
            k: [float(v) for v in vs] for k, vs in fit_history.history.items()
        }

    with _Outputs(args.output) as outputs:
        _say("Evaluating on held-out images ...")
        summary, text, report = _evaluate_model(
            model, data, mixture, args, outputs.stage
        )
        history_plot(history, outputs.path("history.png"))
        summary.update(
            {
                "model": args.model,
                "data": args.data,
                "noise": args.noise,
                "epochs": args.epochs,
                "train_seconds": round(train_seconds, 1),
                "history": curves(history),
            }
        )
        for name, fit_history in histories.items():
            summary[f"{name}_history"] = curves(fit_history)
        write_bytes_atomic(
            outputs.path("metrics.json"),
            (json.dumps(summary, indent=2, allow_nan=False) + "\n").encode(),
        )
    return text, report


def _print_gains(report):
    for name in report:
        if name == "clean":
            continue
        gain = report.psnr_gain(name)
        if gain is None:
            continue
        row = report[name]
        line = (
            f"{name}: PSNR {row['input']['psnr']:.2f} -> "
            f"{row['output']['psnr']:.2f} dB ({gain:+.2f} dB)"
        )
        tv = row.get("baselines", {}).get("tv")
        if tv and tv["psnr"] is not None:
            diff = row["output"]["psnr"] - tv["psnr"]
            line += (
                f"; TV (scikit-image) {tv['psnr']:.2f} dB (model {diff:+.2f})"
            )
        _say(line)


# ------------------------------------------------------------- denoise


def _collect_inputs(inputs):
    from keras_denoise.datasets import IMAGE_EXTENSIONS
    from keras_denoise.datasets import list_image_files
    from keras_denoise.datasets import read_image_info

    files = []
    for item in inputs:
        if os.path.isdir(item):
            try:
                files.extend(list_image_files(item))
            except ValueError as error:
                raise CLIError(str(error)) from None
        elif os.path.isfile(item):
            if not item.lower().endswith(IMAGE_EXTENSIONS):
                raise CLIError(
                    f"not an image file (expected "
                    f"{', '.join(IMAGE_EXTENSIONS)}): {item}"
                )
            files.append(item)
        else:
            raise CLIError(f"input not found: {item}")
    seen = {}
    for path in files:
        name = os.path.basename(path)
        if name in seen:
            raise CLIError(
                f"two inputs share the output name {name}: {seen[name]} "
                f"and {path}"
            )
        seen[name] = path
        read_image_info(path)  # raises ValueError for a non-image
    return files


def run_denoise(args):
    files = _collect_inputs(args.inputs)
    output = os.path.abspath(args.output)
    for path in files:
        if os.path.dirname(os.path.abspath(path)) == output:
            raise CLIError(
                f"--output {args.output} holds the input {path}: choose "
                "another directory so inputs are not overwritten"
            )
    model = load_model(args.model)
    if model_kind(model, args.model) == "classifier":
        raise CLIError(
            f"{args.model} is a classifier (output shape "
            f"{tuple(model.outputs[0].shape)}): `denoise` needs a model that "
            "outputs images, or a dual model with a 'denoised' output"
        )
    _check_output_dir(args.output)
    keras = import_keras()
    from keras_denoise.datasets import read_image
    from keras_denoise.datasets import write_image

    # Decode every input once before any work: a truncated or corrupt
    # file fails here, not after hundreds of images were denoised.
    for path in files:
        read_image(path)
    progress = keras.utils.Progbar(len(files), unit_name="image")
    with _Outputs(args.output) as outputs:
        for path in files:
            image, bit_depth = read_image(path)
            restored = denoise_array(model, image, batch_size=args.batch_size)
            write_image(
                outputs.path(os.path.basename(path)), restored, bit_depth
            )
            progress.add(1)
    _say(f"Wrote {len(files)} denoised image(s) to {args.output}")
    return 0


# ------------------------------------------------------------ evaluate


def run_evaluate(args):
    data_spec = specs.parse_data(args.data)
    mixture = specs.parse_noise(args.noise) if args.noise else None
    _check_image_size(args, data_spec)
    if args.output is not None:
        _check_output_dir(args.output)
    model = load_model(args.model)
    _, _, channels = image_input_shape(model, args.model)
    kind = model_kind(model, args.model)
    if kind == "classifier" and not (
        data_spec[0] == "bundled" and data_spec[1] in LABELLED_DATA
    ):
        raise CLIError(
            f"{args.model} is a classifier: evaluate it on labelled data, "
            f"--data {', '.join(LABELLED_DATA)} (got --data {args.data})"
        )
    data = load_data(data_spec, args, for_training=False)
    if data.channels != channels:
        raise CLIError(
            f"model {args.model} takes {channels}-channel images but "
            f"--data {args.data} has {data.channels} channel(s)"
        )
    if args.output is None:
        _, text, _ = _evaluate_model(model, data, mixture, args, None)
    else:
        from keras_denoise._utils import write_bytes_atomic

        with _Outputs(args.output) as outputs:
            summary, text, _ = _evaluate_model(
                model, data, mixture, args, outputs.stage
            )
            write_bytes_atomic(
                outputs.path("metrics.json"),
                (
                    json.dumps(summary, indent=2, allow_nan=False) + "\n"
                ).encode(),
            )
    _say(text)
    return 0


# -------------------------------------------------------------- sample


def run_sample(args):
    if args.n < 1:
        raise CLIError("--n must be at least 1")
    if not args.output.lower().endswith(".png"):
        raise CLIError(f"--output must be a .png file: {args.output}")
    if os.path.isdir(args.output):
        raise CLIError(f"--output is a directory: {args.output}")
    model = load_model(args.model)
    if not _is_vae(model):
        raise CLIError(
            f"{args.model} is not a variational autoencoder: `sample` "
            "decodes codes drawn from N(0, I), which only a VAE's decoder "
            "turns into images (train one with --model "
            "variational_autoencoder)"
        )
    try:
        decoder = model.get_layer("decoder")
    except ValueError:
        raise CLIError(
            f"{args.model} is a variational autoencoder without a "
            "'decoder' sub-model: `sample` needs one"
        ) from None
    latent_shape = tuple(decoder.inputs[0].shape[1:])
    if None in latent_shape:
        raise CLIError(
            f"the decoder's latent shape {latent_shape} is not fixed"
        )
    import numpy as np

    from keras_denoise.evaluation import denoised_output
    from keras_denoise.visualization import image_grid

    rng = np.random.default_rng(args.seed)
    codes = rng.standard_normal((args.n, *latent_shape)).astype("float32")
    images = denoised_output(decoder, decoder.predict(codes, verbose=0))
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4:
        raise CLIError(
            f"the decoder does not produce images (output {images.shape})"
        )
    columns = int(math.ceil(math.sqrt(args.n)))
    rows = [images[i : i + columns] for i in range(0, args.n, columns)]
    scale = max(1, 96 // images.shape[1])
    image_grid(rows, path=args.output, scale=scale)
    _say(f"Wrote {args.n} samples to {args.output}")
    return 0
