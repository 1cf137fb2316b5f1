"""Builders of functional Keras models (autoencoders, VAEs, classifiers,
denoisers), self-supervised training wrappers and the trained denoisers
that ship with the package."""

from keras_denoise.models.backbone_autoencoder import backbone_autoencoder
from keras_denoise.models.cnn_classifier import cnn_classifier
from keras_denoise.models.conv_autoencoder import conv_autoencoder
from keras_denoise.models.denoise_classifier import denoise_classifier
from keras_denoise.models.denoise_classifier import inception_denoise_classifier
from keras_denoise.models.dense_autoencoder import dense_autoencoder
from keras_denoise.models.latent_classifier import latent_classifier
from keras_denoise.models.neighbor2neighbor import Neighbor2Neighbor
from keras_denoise.models.noise2void import Noise2Void
from keras_denoise.models.pretrained import pretrained
from keras_denoise.models.pretrained import pretrained_names
from keras_denoise.models.residual_denoiser import residual_denoiser
from keras_denoise.models.unet_denoiser import CropToMatch
from keras_denoise.models.unet_denoiser import unet_denoiser
from keras_denoise.models.variational_autoencoder import variational_autoencoder
from keras_denoise.models.variational_model import VariationalModel

__all__ = [
    "backbone_autoencoder",
    "cnn_classifier",
    "conv_autoencoder",
    "dense_autoencoder",
    "denoise_classifier",
    "inception_denoise_classifier",
    "latent_classifier",
    "Neighbor2Neighbor",
    "Noise2Void",
    "pretrained",
    "pretrained_names",
    "residual_denoiser",
    "unet_denoiser",
    "CropToMatch",
    "variational_autoencoder",
    "VariationalModel",
]
