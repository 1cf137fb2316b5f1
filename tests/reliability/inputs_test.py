"""Cases 8-10, 14, 16 and 18: odd files and values, refused or handled
up front with one accurate line."""

import os

import numpy as np
import pytest
from PIL import Image
from reliability_helpers import one_line

from keras_denoise import datasets
from keras_denoise.cli import main
from keras_denoise.cli import specs


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((6, 10, 3), "uint8")
    pixels[0, :, 0] = 255  # a red top row
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    path = str(tmp_path / "r.jpg")
    Image.fromarray(pixels).save(path, exif=exif, quality=100)
    image, _ = datasets.read_image(path)
    assert image.shape == (10, 6, 3)
    assert datasets.read_image_info(path)[:2] == (10, 6)
    # As viewers show it (Pillow's exif_transpose): the red row is now
    # the right-hand column.
    from PIL import ImageOps

    with Image.open(path) as opened:
        upright = np.asarray(ImageOps.exif_transpose(opened)) / 255.0
    # TensorFlow and Pillow decode JPEG with slightly different IDCTs.
    np.testing.assert_allclose(image, upright, atol=8 / 255)
    assert image[:, -1, 0].mean() > image[:, 0, 0].mean() + 0.5


def test_animated_png_is_refused(tmp_path):
    path = str(tmp_path / "anim.png")
    frames = [Image.fromarray(np.full((8, 8), v, "uint8")) for v in (0, 255)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match="Animated image with 2 frames"):
        datasets.read_image(path)


def test_tiny_images_are_refused_by_evaluate(model_file, tmp_path, capsys):
    folder = tmp_path / "tiny"
    for name in ("a.png", "b.png"):
        datasets.write_image(str(folder / name), np.full((1, 1), 0.5))
    argv = ["evaluate", "--model", model_file, "--data", str(folder)]
    assert main([*argv, "--output", str(tmp_path / "out")]) == 1
    assert "is 1x1: images need at least 7x7" in one_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "image, bit_depth, message",
    [
        (np.zeros((1, 8, 8, 1)), 8, "write a batch one image at a time"),
        (np.zeros((8, 8)), 12, "`bit_depth` must be 8 or 16"),
        (np.full((8, 8), np.nan), 8, "NaN"),
        (np.zeros((8, 8, 5)), 8, "1 to 4 channels"),
        (np.zeros((0, 0)), 8, "no pixels"),
    ],
)
def test_write_image_refuses_what_no_file_holds(
    image, bit_depth, message, tmp_path
):
    with pytest.raises(ValueError, match=message):
        datasets.write_image(str(tmp_path / "x.png"), image, bit_depth)
    assert os.listdir(tmp_path) == []


def test_two_channel_bmp_is_refused(tmp_path):
    with pytest.raises(ValueError, match="BMP file holds 1, 3 or 4"):
        datasets.write_image(str(tmp_path / "x.bmp"), np.zeros((4, 4, 2)))


def test_empty_output_fails_before_training(tmp_path, capsys):
    assert main(["train", "--output", ""]) == 1
    assert "--output must name a path" in one_line(capsys)


def test_truncated_training_file_is_named_up_front(photos, tmp_path, capsys):
    data = (photos / "b.png").read_bytes()
    (photos / "b.png").write_bytes(data[: len(data) // 2])
    out = tmp_path / "run"
    assert main(["train", "--data", str(photos), "--output", str(out)]) == 1
    line = one_line(capsys)
    assert "Not a readable image file" in line and "b.png" in line
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--depth", "100000"], "--depth must be at most 100"),
        (["train", "--filters", "99999"], "--filters must be at most"),
        (
            ["sample", "--model", "m.keras", "--n", "1000000"],
            "--n must be at most 4096",
        ),
    ],
)
def test_sizes_are_bounded_up_front(argv, message, tmp_path, capsys):
    target = str(tmp_path / ("s.png" if argv[0] == "sample" else "run"))
    assert main([*argv, "--output", target]) == 1
    assert message in one_line(capsys)
    assert os.listdir(tmp_path) == []


def test_exponent_is_not_a_range():
    assert specs.parse_noise("blur:1e-3") == [[("blur", 1e-3, 1e-3)]]
    assert specs.parse_noise("gaussian:1e-3-2") == [[("gaussian", 1e-3, 2)]]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_permissions_get_accurate_lines(model_file, photos, tmp_path, capsys):
    locked = tmp_path / "locked.keras"
    locked.write_bytes(open(model_file, "rb").read())
    locked.chmod(0)
    closed = tmp_path / "closed"
    closed.mkdir()
    datasets.write_image(str(closed / "a.png"), np.zeros((8, 8)))
    closed.chmod(0o600)
    try:
        argv = ["denoise", str(photos / "a.png"), "--output"]
        assert main([*argv, str(tmp_path / "o"), "--model", str(locked)]) == 1
        assert "cannot read model file" in one_line(capsys)
        with pytest.raises(PermissionError, match="not searchable"):
            datasets.read_image_info(str(closed / "a.png"))
    finally:
        closed.chmod(0o700)


def test_decompression_bomb_is_a_value_error(tmp_path, monkeypatch):
    path = str(tmp_path / "big.png")
    datasets.write_image(path, np.zeros((64, 64)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match="Image too large to read"):
        datasets.read_image_info(path)


def test_max_pixels_raises_or_lowers_the_limit(tmp_path, monkeypatch):
    # A stand-in for a 144-megapixel photograph above Pillow's limit.
    path = str(tmp_path / "big.png")
    datasets.write_image(path, np.full((40, 50), 0.5))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    image, _ = datasets.read_image(path, max_pixels=2000)
    assert image.shape == (40, 50, 1)
    assert datasets.read_image_info(path, max_pixels=2000)[:2] == (40, 50)
    assert Image.MAX_IMAGE_PIXELS == 1000  # restored after the call
    with pytest.raises(ValueError, match="the limit of 1999 .max_pixels"):
        datasets.read_image(path, max_pixels=1999)
    with pytest.raises(TypeError, match="max_pixels=2.5"):
        datasets.read_image_info(path, max_pixels=2.5)
    with pytest.raises(ValueError, match="max_pixels=0"):
        datasets.read_image_info(path, max_pixels=0)


def test_denoise_refuses_an_image_above_max_megapixels(tmp_path, capsys):
    folder = tmp_path / "in"
    datasets.write_image(str(folder / "wide.png"), np.zeros((20, 60)))
    argv = ["denoise", str(folder), "--output", str(tmp_path / "out")]
    code = main([*argv, "--max-megapixels", "0.001"])
    assert code != 0
    line = one_line(capsys)
    assert "wide.png" in line and "the limit of 1000" in line
    assert not (tmp_path / "out").exists()
