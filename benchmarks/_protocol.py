"""The DnCNN paper's test protocol for Gaussian denoising, shared by the
training and table scripts.

Gaussian noise of standard deviation sigma on the 0-255 scale is added in
float to the clean image (values in [0, 1]), seeded per image and sigma, and
not clipped; the denoiser's output is clipped to [0, 1] and rounded to 8
bits; PSNR is computed per image against the 8-bit clean image and
averaged, SSIM beside it.
"""

import os
import zlib

import numpy as np

SIGMAS = (15, 25, 50)

# Published Set12 averages (PSNR in dB at sigma 15 / 25 / 50), from the
# papers' tables as collected in the data folder's README.
PUBLISHED_SET12 = {
    "BM3D": (32.37, 29.97, 26.72),
    "DnCNN-S": (32.86, 30.44, 27.18),
    "FFDNet": (32.75, 30.43, 27.32),
    "DRUNet": (33.25, 30.94, 27.90),
}


def load_folder(path, channels=None):
    """Reads every image of a folder, sorted by name, as float32 in [0, 1].

    `channels=1` converts colour images to gray (ITU-R 601 luma, as the
    benchmark sets were made), `channels=3` repeats gray images into RGB.
    """
    from keras_denoise import datasets

    images = {}
    for file in datasets.list_image_files(path):
        image, _ = datasets.read_image(file)
        image = image[..., :3] if image.shape[-1] >= 3 else image[..., :1]
        if channels == 1 and image.shape[-1] == 3:
            image = image @ np.array([0.299, 0.587, 0.114], "float32")
            image = image[..., None]
        elif channels == 3 and image.shape[-1] == 1:
            image = np.repeat(image, 3, axis=-1)
        # The test sets are 8-bit: keep exactly their 256 levels.
        image = np.round(image * 255.0) / 255.0
        images[os.path.basename(file)] = image.astype("float32")
    if not images:
        raise ValueError(f"No image files in {path!r}")
    return images


def noisy_version(name, image, sigma):
    """The image plus seeded Gaussian noise of `sigma` (0-255), unclipped."""
    seed = zlib.crc32(f"{name}:{sigma}".encode())
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma / 255.0, image.shape)
    return (image + noise).astype("float32")


def quantize(image):
    """Clips to [0, 1] and rounds to 8 bits."""
    return np.round(np.clip(image, 0.0, 1.0) * 255.0) / 255.0


def psnr(clean, restored):
    """PSNR in dB of an 8-bit rounded result against the clean image."""
    mse = np.mean((quantize(clean) - quantize(restored)) ** 2, dtype="float64")
    return float(10.0 * np.log10(1.0 / max(mse, 1e-12)))


def ssim(clean, restored):
    """SSIM (scikit-image, Gaussian window as in Wang et al.) in [0, 1]."""
    from skimage.metrics import structural_similarity

    return float(
        structural_similarity(
            quantize(clean),
            quantize(restored),
            data_range=1.0,
            channel_axis=-1,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )


def score(images, denoise, sigmas=SIGMAS):
    """Mean PSNR and SSIM of `denoise(noisy, sigma)` over `images`.

    Returns `{sigma: {"psnr": ..., "ssim": ..., "per_image": {...}}}`.
    """
    table = {}
    for sigma in sigmas:
        per_image = {}
        for name, image in images.items():
            restored = denoise(noisy_version(name, image, sigma), sigma)
            per_image[name] = {
                "psnr": psnr(image, restored),
                "ssim": ssim(image, restored),
            }
        table[sigma] = {
            "psnr": float(np.mean([v["psnr"] for v in per_image.values()])),
            "ssim": float(np.mean([v["ssim"] for v in per_image.values()])),
            "per_image": per_image,
        }
    return table
