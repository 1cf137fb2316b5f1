"""Datasets: offline bundled data, online loaders and `tf.data` pipelines.

Importing this module is cheap: TensorFlow, scikit-learn and scikit-image
are imported by the functions that need them.
"""

from keras_denoise.datasets.bundled import DEFAULT_HELD_OUT
from keras_denoise.datasets.bundled import NATURAL_IMAGE_NAMES
from keras_denoise.datasets.bundled import load_digits
from keras_denoise.datasets.bundled import load_faces
from keras_denoise.datasets.bundled import load_natural_images
from keras_denoise.datasets.bundled import natural_patches
from keras_denoise.datasets.corrupted_pairs import corrupted_pairs
from keras_denoise.datasets.image_directory import image_directory
from keras_denoise.datasets.image_directory import match_pairs
from keras_denoise.datasets.image_directory import paired_image_directory
from keras_denoise.datasets.image_files import IMAGE_EXTENSIONS
from keras_denoise.datasets.image_files import ImageInfo
from keras_denoise.datasets.image_files import check_pairs
from keras_denoise.datasets.image_files import list_image_files
from keras_denoise.datasets.image_files import read_image
from keras_denoise.datasets.image_files import read_image_info
from keras_denoise.datasets.image_files import write_image
from keras_denoise.datasets.online import load_fashion_mnist
from keras_denoise.datasets.online import load_mnist

__all__ = [
    "DEFAULT_HELD_OUT",
    "IMAGE_EXTENSIONS",
    "ImageInfo",
    "NATURAL_IMAGE_NAMES",
    "check_pairs",
    "corrupted_pairs",
    "image_directory",
    "list_image_files",
    "load_digits",
    "load_faces",
    "load_fashion_mnist",
    "load_mnist",
    "load_natural_images",
    "match_pairs",
    "natural_patches",
    "paired_image_directory",
    "read_image",
    "read_image_info",
    "write_image",
]
