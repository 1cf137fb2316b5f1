"""`VariationalModel`: a functional model that logs VAE loss terms on JAX."""

import keras

from keras_denoise.layers import VariationalLossLayer


@keras.saving.register_keras_serializable(package="keras_denoise")
class VariationalModel(keras.Model):
    """A functional model whose VAE loss terms reach the per-batch logs on JAX.

    Use it exactly like `keras.Model(inputs, outputs)` when the graph
    contains `keras_denoise.layers.VariationalLossLayer`s: it is a
    functional model (same summary, `get_layer`, saving and loading), with
    one addition. On JAX, the trainer computes the per-batch logs inside
    the compiled step where only metric variables can be read, so the
    `reconstruction_loss` and `kl_loss` that the loss layers keep in their
    own state would show `nan` there (keras-team/keras#21639). This model's
    `compute_loss`, which JAX runs with every variable mapped, copies that
    state into the layers' metric variables after the forward pass, so the
    progress bar and `on_train_batch_end` get exact values on every backend.
    On TensorFlow and PyTorch it behaves exactly like `keras.Model`.

    `keras_denoise.models.variational_autoencoder` returns a
    `VariationalModel`.

    It takes the arguments of a functional `keras.Model`: `inputs` (the
    model's `keras.Input`s), `outputs` and keyword arguments such as
    `name`.

    Example:

    >>> import numpy as np
    >>> from keras_denoise.layers import SamplingLayer
    >>> from keras_denoise.layers import VariationalLossLayer
    >>> inputs = keras.Input((8,))
    >>> z_mean = keras.layers.Dense(2)(inputs)
    >>> z_log_var = keras.layers.Dense(2)(inputs)
    >>> z = SamplingLayer(seed=0)([z_mean, z_log_var])
    >>> y = keras.layers.Dense(8, activation="sigmoid")(z)
    >>> outputs = VariationalLossLayer()([inputs, z_mean, z_log_var, y])
    >>> model = keras_denoise.models.VariationalModel(inputs, outputs)
    >>> model.compile(optimizer="adam")
    >>> x = np.full((4, 8), 0.5, dtype="float32")
    >>> logs = model.train_on_batch(x, return_dict=True)
    >>> sorted(logs)
    ['kl_loss', 'loss', 'reconstruction_loss']
    """

    def compute_loss(
        self,
        x=None,
        y=None,
        y_pred=None,
        sample_weight=None,
        training=True,
    ):
        loss = super().compute_loss(
            x=x,
            y=y,
            y_pred=y_pred,
            sample_weight=sample_weight,
            training=training,
        )
        if keras.backend.backend() == "jax":
            for layer in _loss_layers(self):
                layer._capture_loss_terms()
        return loss


def _loss_layers(model):
    """The `VariationalLossLayer`s of a model, nested models included."""
    for layer in model.layers:
        if isinstance(layer, VariationalLossLayer):
            yield layer
        elif isinstance(layer, keras.Model):
            yield from _loss_layers(layer)
