"""The `denoise_classifier` and `inception_denoise_classifier` builders."""

import keras

from keras_denoise.models import _validation as v
from keras_denoise.models.cnn_classifier import cnn_classifier
from keras_denoise.models.conv_autoencoder import conv_autoencoder


def denoise_classifier(
    input_shape,
    num_classes,
    autoencoder=None,
    classifier=None,
    corruption=None,
    classifier_input="denoised",
    name="denoise_classifier",
):
    """Builds a dual-output model that denoises and classifies.

    The input goes through `autoencoder`, and the classifier reads the
    denoised image, so one `fit` trains both and the classification loss
    also shapes the denoiser. With `classifier_input="input"` the
    classifier runs beside the autoencoder on the same (noisy) input
    instead, as in the course notebooks' models. Measured with Adam at its
    default rate and plain `fit` on noisy digits, the denoised layout
    classifies as well or better (see `docs/benchmarks.md`), hence the
    default. The model returns a dict with the outputs
    `"denoised"` and `"label"`, which are also the names of its output
    layers, so losses, metrics, targets and loss weights are given by name.

    Args:
        input_shape: `(height, width, channels)`, channels last.
        num_classes: number of classes, at least 2.
        autoencoder: a `keras.Model` mapping `input_shape` to `input_shape`.
            Defaults to `None`:
            `keras_denoise.models.conv_autoencoder(input_shape)`, named
            `"autoencoder"`.
        classifier: a `keras.Model` mapping `input_shape` to
            `(num_classes,)` probabilities. Defaults to `None`:
            `keras_denoise.models.cnn_classifier(input_shape, num_classes)`,
            named `"classifier"`.
        corruption: optional corruption layer applied to the input inside
            the model, before the autoencoder; active only while training.
            Defaults to `None`.
        classifier_input: what the classifier reads: `"input"` (the
            model's input, after `corruption`) or `"denoised"` (the
            autoencoder's output). Defaults to `"denoised"`.
        name: name of the model. Defaults to `"denoise_classifier"`.

    Returns:
        An uncompiled functional `keras.Model` whose outputs are the dict
        `{"denoised": images, "label": probabilities}`.

    Raises:
        TypeError: if `autoencoder` or `classifier` is not a Keras model, or
            `corruption` not a layer.
        ValueError: for a bad shape, `num_classes` or `classifier_input`,
            or sub-models whose input or output shapes do not fit.

    Example:

    >>> model = keras_denoise.models.denoise_classifier((16, 16, 1), 10)
    >>> model.compile(
    ...     optimizer="adam",
    ...     loss={
    ...         "denoised": "binary_crossentropy",
    ...         "label": "sparse_categorical_crossentropy",
    ...     },
    ...     loss_weights={"denoised": 1.0, "label": 0.1},
    ...     metrics={"label": ["accuracy"]},
    ... )
    >>> sorted(model.output_names)
    ['denoised', 'label']
    """
    input_shape = v.validate_input_shape(input_shape)
    num_classes = v.validate_num_classes(num_classes)
    v.validate_model("autoencoder", autoencoder)
    v.validate_model("classifier", classifier)
    v.validate_layer("corruption", corruption)
    _check_classifier_input(classifier_input)
    v.validate_name(name)
    if autoencoder is None:
        autoencoder = conv_autoencoder(input_shape, name="autoencoder")
    if classifier is None:
        classifier = cnn_classifier(input_shape, num_classes, name="classifier")
    _check_shapes("autoencoder", autoencoder, input_shape, input_shape)
    _check_shapes("classifier", classifier, input_shape, (num_classes,))

    inputs = keras.Input(input_shape, name="input")
    x = v.apply_corruption(inputs, corruption)
    denoised = keras.layers.Identity(name="denoised")(autoencoder(x))
    features = denoised if classifier_input == "denoised" else x
    label = keras.layers.Identity(name="label")(classifier(features))
    return keras.Model(
        inputs, {"denoised": denoised, "label": label}, name=name
    )


def inception_denoise_classifier(
    input_shape,
    num_classes,
    branches=None,
    autoencoder=None,
    hidden_units=128,
    dropout=0.25,
    corruption=None,
    classifier_input="denoised",
    name="inception_denoise_classifier",
):
    """Builds a dual-output model whose classifier joins expert branches.

    Like `denoise_classifier`, but the classifier (a sub-model named
    `"classifier"`) runs several expert branches side by side on its input
    (the denoised image by default, or the model's input with
    `classifier_input="input"`), in the manner of an Inception block:
    each branch's
    output is reduced to a vector (global average pooling for feature maps),
    the vectors are concatenated, and a small MLP gives the class
    probabilities. By default there are two experts, `"expert_3x3"` and
    `"expert_5x5"`: two convolution stages with 3x3, respectively 5x5,
    kernels.

    Args:
        input_shape: `(height, width, channels)`, channels last.
        num_classes: number of classes, at least 2.
        branches: a non-empty list of Keras layers or models, each taking an
            image batch and returning a feature map `(batch, h, w, c)` or a
            vector `(batch, features)`. They must be Keras layers (not plain
            functions) so the model can be saved, and distinct objects.
            Branches that share a name (say three
            `cnn_classifier(...)` builds) are renamed in place to
            `<name>_1`, `<name>_2`, ... so the model's layer names are
            unique. Defaults to `None`: the two default experts.
        autoencoder: the denoiser, as in `denoise_classifier`. Defaults to
            `None`: `conv_autoencoder(input_shape)`.
        hidden_units: width of the dense layer after the concatenation, or
            `None` for none. Defaults to `128`.
        dropout: dropout rate before the output layer, in [0, 1). Defaults
            to `0.25`.
        corruption: optional corruption layer applied to the input inside
            the model; active only while training. Defaults to `None`.
        classifier_input: `"input"` or `"denoised"`, as in
            `denoise_classifier`. Defaults to `"denoised"`.
        name: name of the model. Defaults to
            `"inception_denoise_classifier"`.

    Returns:
        An uncompiled functional `keras.Model` whose outputs are the dict
        `{"denoised": images, "label": probabilities}`.

    Raises:
        TypeError: if a branch is not a Keras layer, `autoencoder` not a
            Keras model or `corruption` not a layer.
        ValueError: for an empty `branches`, one branch given twice, a
            branch output of rank other than 2 or 4, an `autoencoder` that
            does not map `input_shape` to itself, or a bad shape, class
            count, `hidden_units` or `dropout`.

    Example:

    >>> experts = [
    ...     keras.layers.Conv2D(8, 1, activation="relu", name="expert_1x1"),
    ...     keras.layers.Conv2D(8, 7, activation="relu", name="expert_7x7"),
    ... ]
    >>> model = keras_denoise.models.inception_denoise_classifier(
    ...     (16, 16, 1), 10, branches=experts
    ... )
    >>> model.get_layer("classifier").get_layer("expert_7x7").name
    'expert_7x7'
    """
    input_shape = v.validate_input_shape(input_shape)
    num_classes = v.validate_num_classes(num_classes)
    hidden_units = v.validate_positive_int(
        "hidden_units", hidden_units, allow_none=True
    )
    dropout = v.validate_rate("dropout", dropout)
    v.validate_model("autoencoder", autoencoder)
    v.validate_layer("corruption", corruption)
    _check_classifier_input(classifier_input)
    v.validate_name(name)
    # Checked before any branch is called (branches build their weights on
    # the first call), not only by `denoise_classifier` at the end.
    if autoencoder is not None:
        _check_shapes("autoencoder", autoencoder, input_shape, input_shape)
    if branches is None:
        branches = [_expert(3), _expert(5)]
    if not isinstance(branches, (list, tuple)) or not branches:
        raise ValueError(
            "`branches` must be a non-empty list of Keras layers or None. "
            f"Received: branches={branches!r}"
        )
    for branch in branches:
        if not isinstance(branch, keras.layers.Layer):
            raise TypeError(
                "Every entry of `branches` must be a Keras layer or model "
                "(plain functions cannot be saved). "
                f"Received: branches={branches!r}"
            )
    if len({id(branch) for branch in branches}) != len(branches):
        raise ValueError(
            "Every entry of `branches` must be a distinct layer (one layer "
            "given twice would share its weights). "
            f"Received: branches={branches!r}"
        )
    _make_names_unique(branches)

    inputs = keras.Input(input_shape, name="classifier_input")
    features = []
    for branch in branches:
        y = branch(inputs)
        if isinstance(y, (list, tuple, dict)) or len(y.shape) not in (2, 4):
            raise ValueError(
                "Every branch must return one tensor of rank 4 (a feature "
                "map) or rank 2 (a vector). "
                f"Received: branch {branch.name!r} returned {y!r}"
            )
        if len(y.shape) == 4:
            y = keras.layers.GlobalAveragePooling2D(name=f"{branch.name}_pool")(
                y
            )
        features.append(y)
    x = features[0]
    if len(features) > 1:
        x = keras.layers.Concatenate(name="concatenate")(features)
    if hidden_units is not None:
        x = keras.layers.Dense(hidden_units, "relu", name="hidden")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, "softmax", name="probabilities")(
        x
    )
    classifier = keras.Model(inputs, outputs, name="classifier")
    return denoise_classifier(
        input_shape,
        num_classes,
        autoencoder=autoencoder,
        classifier=classifier,
        corruption=corruption,
        classifier_input=classifier_input,
        name=name,
    )


CLASSIFIER_INPUTS = ("input", "denoised")


def _check_classifier_input(classifier_input):
    if not isinstance(classifier_input, str):
        raise TypeError(
            f"`classifier_input` must be a string, one of {CLASSIFIER_INPUTS}. "
            f"Received: classifier_input={classifier_input!r}"
        )
    if classifier_input not in CLASSIFIER_INPUTS:
        raise ValueError(
            f"`classifier_input` must be one of {CLASSIFIER_INPUTS}. "
            f"Received: classifier_input={classifier_input!r}"
        )


def _make_names_unique(branches):
    # Builders give every model they make the same default name, and a
    # functional model refuses two layers of one name: the later ones get
    # a suffix that no other branch uses.
    taken = {branch.name for branch in branches}
    seen = set()
    for branch in branches:
        if branch.name not in seen:
            seen.add(branch.name)
            continue
        base, index = branch.name, 1
        while f"{base}_{index}" in taken:
            index += 1
        branch.name = f"{base}_{index}"
        taken.add(branch.name)
        seen.add(branch.name)


def _expert(kernel_size):
    size = f"{kernel_size}x{kernel_size}"
    return keras.Sequential(
        [
            keras.layers.Conv2D(
                32, kernel_size, padding="same", activation="relu"
            ),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Conv2D(
                64, kernel_size, padding="same", activation="relu"
            ),
        ],
        name=f"expert_{size}",
    )


def _check_shapes(name, model, input_shape, output_shape):
    model_input = v.model_input_shape(model)
    if len(model_input) != len(input_shape) or any(
        m is not None and m != s
        for m, s in zip(model_input, input_shape, strict=True)
    ):
        raise ValueError(
            f"`{name}` must accept inputs of shape {input_shape}. "
            f"Received: {name} with input shape {model_input}"
        )
    outputs = model.outputs
    if len(outputs) != 1:
        raise ValueError(
            f"`{name}` must have a single output. "
            f"Received: {name} with {len(outputs)} outputs"
        )
    probe = model.compute_output_spec(keras.KerasTensor((None, *input_shape)))
    if tuple(probe.shape[1:]) != tuple(output_shape):
        raise ValueError(
            f"`{name}` must output shape {tuple(output_shape)} for inputs of "
            f"shape {input_shape}. "
            f"Received: {name} with output shape {tuple(probe.shape[1:])}"
        )
