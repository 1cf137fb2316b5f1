"""Callbacks for `fit`: image grids, KL annealing and latent-space plots.

They write their files atomically and, under `tf.distribute`, from the chief
worker only.
"""

from keras_denoise.callbacks.image_grid import ImageGrid
from keras_denoise.callbacks.kl_annealing import KLAnnealing
from keras_denoise.callbacks.latent_space_plot import LatentSpacePlot

__all__ = [
    "ImageGrid",
    "KLAnnealing",
    "LatentSpacePlot",
]
