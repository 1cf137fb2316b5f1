"""The `latent_classifier` builder."""

import keras

from keras_denoise.models import _validation as v


def latent_classifier(
    encoder,
    num_classes,
    hidden_units=(64,),
    freeze_encoder=True,
    dropout=0.0,
    name="latent_classifier",
):
    """Builds an MLP classifier on the latent code of an encoder.

    The images go through `encoder`; its code (flattened when it is a
    feature map) feeds `Dense` layers of `hidden_units` and a softmax over
    `num_classes`. For an encoder with several outputs, such as a
    variational autoencoder's `[z_mean, z_log_var, z]`, the first one
    (`z_mean`, the deterministic code) is used.

    With `freeze_encoder=True` the classifier holds a frozen copy of the
    encoder (same name, same weights at the time of the call, its
    batch normalization layers in inference mode), so the `encoder` passed
    in, and the autoencoder it belongs to, keep training as before: build
    the classifier after training the autoencoder. With
    `freeze_encoder=False` the encoder is shared, not copied, and training
    the classifier fine-tunes it in the autoencoder too.

    Args:
        encoder: a `keras.Model` with one input, e.g.
            `autoencoder.get_layer("encoder")`.
        num_classes: number of classes, at least 2.
        hidden_units: widths of the hidden layers; may be empty for a linear
            (softmax regression) probe. Defaults to `(64,)`.
        freeze_encoder: whether the classifier's encoder is a frozen copy
            (`True`) or the given encoder itself, trained with the
            classifier (`False`). Defaults to `True`.
        dropout: dropout rate after each hidden layer, in [0, 1). Defaults
            to `0.0`.
        name: name of the model. Defaults to `"latent_classifier"`.

    Returns:
        An uncompiled functional `keras.Model` from the encoder's input to
        class probabilities `(batch, num_classes)`, containing the encoder
        under its own name.

    Raises:
        TypeError: if `encoder` is not a Keras model or `freeze_encoder` is
            not a boolean.
        ValueError: for a bad `num_classes`, `hidden_units` or `dropout`.

    Example:

    >>> autoencoder = keras_denoise.models.dense_autoencoder(
    ...     (8, 8, 1), latent_dim=16
    ... )
    >>> model = keras_denoise.models.latent_classifier(
    ...     autoencoder.get_layer("encoder"), num_classes=10
    ... )
    >>> model.compile(
    ...     optimizer="adam", loss="sparse_categorical_crossentropy"
    ... )
    >>> model.output.shape
    (None, 10)
    """
    v.validate_model("encoder", encoder, allow_none=False)
    num_classes = v.validate_num_classes(num_classes)
    hidden_units = v.validate_int_sequence(
        "hidden_units", hidden_units, allow_empty=True
    )
    if not isinstance(freeze_encoder, bool):
        raise TypeError(
            "`freeze_encoder` must be a boolean. "
            f"Received: freeze_encoder={freeze_encoder!r}"
        )
    dropout = v.validate_rate("dropout", dropout)
    v.validate_name(name)

    if freeze_encoder:
        # Freezing in place would also freeze the caller's autoencoder (and
        # be saved with it): a copy carries the frozen flag instead.
        encoder = _frozen_copy(encoder)
    inputs = keras.Input(v.model_input_shape(encoder), name="input")
    code = encoder(inputs)
    if isinstance(code, dict):
        code = list(code.values())
    if isinstance(code, (list, tuple)):
        code = code[0]
    x = code
    if len(x.shape) > 2:
        x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, "relu", name=f"hidden_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(num_classes, "softmax", name="probabilities")(
        x
    )
    return keras.Model(inputs, outputs, name=name)


def _frozen_copy(encoder):
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    copy.trainable = False
    return copy
