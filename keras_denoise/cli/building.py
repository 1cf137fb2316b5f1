"""The models `train` builds, their compile recipes and training data."""

from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import is_vae
from keras_denoise.cli._runtime import model_kind

MODELS = (
    "residual_denoiser",
    "unet_denoiser",
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
DEFAULT_BACKBONE = "MobileNetV2"
# Size of the latent code of latent_classifier's conv autoencoder.
LATENT_DIM = 32
# The default job: a small DnCNN on 40x40 grayscale patches. Sized so that
# `keras-denoise train` finishes in a few minutes on a 2-core CPU.
DEFAULT_DEPTH = 8
DEFAULT_FILTERS = 32
LEARNING_RATE = 3e-3
# Fine-tuning a shipped model (`--init`): a small rate keeps what it
# learned while it adapts to the new data.
FINE_TUNE_LEARNING_RATE = 1e-4
# The shipped models `--init` and `denoise` take, as
# `keras_denoise.models.pretrained_names()` lists them (written out so that
# the parser needs no Keras; a test keeps the two equal).
PRETRAINED = ("gaussian_color", "gaussian_gray")


def backbone_factory(name):
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

    factory = backbone_factory(name)
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


def build_model(
    name,
    data,
    corruption,
    *,
    patch_size,
    depth=None,
    filters=None,
    backbone=DEFAULT_BACKBONE,
    seed=0,
):
    """The model to train; for `latent_classifier` the conv autoencoder
    whose encoder it will use (`latent_classifier` builds it after)."""
    from keras_denoise import models

    size = data.image_size or patch_size
    shape = (size, size, data.channels)
    if name == "residual_denoiser":
        return models.residual_denoiser(
            channels=data.channels,
            depth=depth or DEFAULT_DEPTH,
            filters=filters or DEFAULT_FILTERS,
            # Without batch normalization the small default network
            # learns faster in a few hundred steps.
            batch_norm=False,
        )
    if name == "unet_denoiser":
        return models.unet_denoiser(channels=data.channels)
    if name in ("conv_autoencoder", "latent_classifier"):
        if name == "latent_classifier":
            return models.conv_autoencoder(shape, latent_dim=LATENT_DIM)
        return models.conv_autoencoder(shape)
    if name == "dense_autoencoder":
        return models.dense_autoencoder(shape)
    if name == "backbone_autoencoder":
        return models.backbone_autoencoder(_backbone(backbone, shape))
    if name == "variational_autoencoder":
        # The VAE's loss compares its reconstruction with its own input, so
        # the corruption goes inside the model (active only in training);
        # a ',' mixture is a RandomCorruption of chains, saved with it.
        if data.stream_kind == "pairs":
            raise CLIError(
                "--model variational_autoencoder cannot train on "
                "NOISY_DIR:CLEAN_DIR pairs; give clean images"
            )
        return models.variational_autoencoder(
            shape, corruption=corruption, seed=seed
        )
    builder = getattr(models, name)
    return builder(shape, data.num_classes)


def latent_classifier(autoencoder, num_classes):
    """A classifier on the frozen encoder of a trained autoencoder."""
    from keras_denoise import models

    return models.latent_classifier(
        autoencoder.get_layer("encoder"), num_classes, freeze_encoder=True
    )


def pretrained_model(name, data):
    """The shipped model `name`, to fine-tune on `data` (`--init`)."""
    from keras_denoise import models

    model = models.pretrained(name)
    channels = model.inputs[0].shape[-1]
    if channels != data.channels:
        raise CLIError(
            f"--init {name} takes {channels}-channel images but the data "
            f"have {data.channels} channel(s)"
        )
    return model


def compile_model(model, steps, learning_rate=None):
    """Compiles `model` with the recipe of its kind, for `steps` steps.

    `learning_rate` replaces the recipe's: Adam's default for
    classifiers and VAEs, the start of the cosine decay for denoisers.
    """
    import keras

    def adam():
        if learning_rate is None:
            return "adam"
        return keras.optimizers.Adam(learning_rate)

    kind = model_kind(model)
    if kind == "dual":
        model.compile(
            optimizer=adam(),
            loss={
                "denoised": "mse",
                "label": "sparse_categorical_crossentropy",
            },
            metrics={"label": ["accuracy"]},
        )
    elif kind == "classifier":
        model.compile(
            optimizer=adam(),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    elif is_vae(model):
        model.compile(optimizer=adam())
    else:
        # Cosine decay over the whole run: fast progress early, a settled
        # model at the end of a short training.
        schedule = keras.optimizers.schedules.CosineDecay(
            learning_rate or LEARNING_RATE, max(steps, 1), alpha=0.05
        )
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")


def _corrupt_batch(corruption, clean):
    """Corrupts a batch tensor inside a tf.data map."""
    import tensorflow as tf

    if corruption is None:  # --noise clean
        return clean
    return tf.cast(corruption(clean, training=True), tf.float32)


def train_dataset(data, corruption, model, *, batch_size, seed):
    """A tf.data dataset of (input, target) for `fit`, with fresh noise on
    every batch of every epoch; in-memory images are seen
    `data.passes` times an epoch (`--patches-per-image`)."""
    import tensorflow as tf

    from keras_denoise import datasets
    from keras_denoise.cli._pipeline import finish
    from keras_denoise.cli._pipeline import tune

    if is_vae(model):
        if data.stream is not None:
            return tune(data.stream)
        dataset = tf.data.Dataset.from_tensor_slices(data.train)
        return finish(
            dataset.shuffle(len(data.train), seed=seed)
            .repeat(data.passes)
            .batch(batch_size)
        )
    if data.stream is not None:
        if data.stream_kind == "pairs":
            return tune(data.stream)
        return finish(
            data.stream.map(
                lambda clean: (_corrupt_batch(corruption, clean), clean),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        )
    kind = model_kind(model)
    if kind == "denoiser":
        return tune(
            datasets.corrupted_pairs(
                data.train,
                corruption or (lambda clean: clean),
                batch_size,
                seed=seed,
            ).repeat(data.passes)
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
    dataset = (
        dataset.shuffle(
            len(data.train), seed=seed, reshuffle_each_iteration=True
        )
        .repeat(data.passes)
        .batch(batch_size)
    )
    return finish(
        dataset.map(
            lambda clean, label: (
                _corrupt_batch(corruption, clean),
                targets(clean, label),
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    )


def steps_per_epoch(dataset):
    import tensorflow as tf

    count = int(dataset.cardinality())
    if count == tf.data.UNKNOWN_CARDINALITY or count < 0:
        return 1000
    return count
