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

    The encoder is shared, not copied: with `freeze_encoder=True` its
    `trainable` attribute is set to `False`, which also freezes it in the
    autoencoder it came from (set it back to `True` to fine-tune). A frozen
    encoder also runs its batch normalization layers in inference mode.

    Args:
        encoder: a `keras.Model` with one input, e.g.
            `autoencoder.get_layer("encoder")`.
        num_classes: number of classes, at least 2.
        hidden_units: widths of the hidden layers; may be empty for a linear
            (softmax regression) probe. Defaults to `(64,)`.
        freeze_encoder: whether to freeze the encoder. Defaults to `True`.
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
        encoder.trainable = False
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
