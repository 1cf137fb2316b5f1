import os

import numpy as np
import pytest

from keras_denoise import datasets


def _smooth(rng, height, width, channels):
    """A smooth random image (compresses well, shows crop positions)."""
    y = np.linspace(0, 1, height)[:, None, None]
    x = np.linspace(0, 1, width)[None, :, None]
    phase = rng.random((1, 1, channels))
    return (0.5 + 0.5 * np.sin(6 * x + 4 * y + 6 * phase)).astype("float32")


def _write(folder, name, image, bit_depth=8):
    folder.mkdir(parents=True, exist_ok=True)
    datasets.write_image(str(folder / name), image, bit_depth)


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# 240 RGB images of 256x256: 189 MB as float32, 47 MB as uint8.
MANY, SIDE = 240, 256
MANY_BYTES = MANY * SIDE * SIDE * 3 * 4


def _many_images(folder, rng, noisy=None):
    base = _smooth(rng, SIDE, SIDE, 3)
    for i in range(MANY):
        image = np.roll(base, i, axis=1)
        _write(folder, f"{i:04d}.png", image)
        if noisy is not None:
            _write(noisy, f"{i:04d}.jpg", image)


def _warm_up(tmp_path, rng):
    """Runs both pipelines once on a small folder, so TensorFlow's thread
    pools, kernels and allocator arenas exist before the baseline."""
    for i in range(16):
        image = _smooth(rng, SIDE, SIDE, 3)
        _write(tmp_path / "warm", f"{i}.png", image)
        _write(tmp_path / "warm_noisy", f"{i}.jpg", image)
    for _ in datasets.image_directory(
        str(tmp_path / "warm"), crop_size=64, batch_size=8, seed=0
    ):
        pass
    for _ in datasets.paired_image_directory(
        str(tmp_path / "warm_noisy"),
        str(tmp_path / "warm"),
        crop_size=64,
        batch_size=8,
        seed=0,
    ):
        pass


class TestImageFiles:
    def test_round_trip_8_and_16_bit(self, tmp_path, rng):
        image = rng.random((9, 11, 3)).astype("float32")
        for bit_depth, tol in ((8, 0.5 / 255), (16, 0.5 / 65535)):
            path = tmp_path / f"x{bit_depth}.png"
            datasets.write_image(str(path), image, bit_depth)
            info = datasets.read_image_info(str(path))
            assert info == (9, 11, 3, bit_depth)
            back, depth = datasets.read_image(str(path))
            assert depth == bit_depth
            np.testing.assert_allclose(back, image, atol=tol + 1e-7)

    def test_gray_jpeg_and_non_image(self, tmp_path, rng):
        _write(tmp_path, "g.jpg", _smooth(rng, 16, 16, 1))
        assert datasets.read_image_info(str(tmp_path / "g.jpg")) == (
            16,
            16,
            1,
            8,
        )
        (tmp_path / "bad.png").write_bytes(b"not an image at all")
        with pytest.raises(ValueError, match="Not a readable image"):
            datasets.read_image_info(str(tmp_path / "bad.png"))
        with pytest.raises(FileNotFoundError):
            datasets.read_image_info(str(tmp_path / "missing.png"))

    def test_channels_match_what_tensorflow_decodes(self, tmp_path, rng):
        import tensorflow as tf
        from PIL import Image

        def png(name, pixels):
            (tmp_path / name).write_bytes(tf.io.encode_png(pixels).numpy())

        png("la16.png", rng.integers(0, 65536, (5, 6, 2), dtype="uint16"))
        png("la8.png", rng.integers(0, 256, (5, 6, 2), dtype="uint8"))
        png("rgba16.png", rng.integers(0, 65536, (5, 6, 4), dtype="uint16"))
        gray = Image.fromarray(rng.integers(0, 256, (5, 6), dtype="uint8"))
        gray.convert("P").save(tmp_path / "palette.png")
        gray.convert("P").save(tmp_path / "palette_trns.png", transparency=0)
        gray.save(tmp_path / "gray_trns.png", transparency=3)
        rgba = rng.integers(0, 256, (5, 6, 4), dtype="uint8")
        Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba32.bmp")
        Image.fromarray(rgba[..., :3], "RGB").save(tmp_path / "rgb24.bmp")
        gray.save(tmp_path / "gray8.bmp")
        expected = {
            "la16.png": (5, 6, 2, 16),  # Pillow calls it RGBA
            "la8.png": (5, 6, 2, 8),
            "rgba16.png": (5, 6, 4, 16),
            "palette.png": (5, 6, 3, 8),
            "palette_trns.png": (5, 6, 4, 8),  # decoded with alpha
            "gray_trns.png": (5, 6, 1, 8),  # tRNS ignored for gray
            "rgba32.bmp": (5, 6, 4, 8),  # Pillow calls it RGB
            "rgb24.bmp": (5, 6, 3, 8),
            "gray8.bmp": (5, 6, 1, 8),
        }
        for name, info in expected.items():
            assert datasets.read_image_info(str(tmp_path / name)) == info
            image, depth = datasets.read_image(str(tmp_path / name))
            assert image.shape == info[:3] and depth == info[3], name

    def test_bmp_kinds_tensorflow_cannot_decode_fail_early(self, tmp_path, rng):
        from PIL import Image

        bits = rng.random((5, 6)) > 0.5
        Image.fromarray(bits).save(tmp_path / "mono.bmp")
        colour = rng.integers(0, 256, (5, 6, 3), dtype="uint8")
        Image.fromarray(colour).convert("P").save(tmp_path / "palette.bmp")
        with pytest.raises(ValueError, match="mono.bmp.*1 bits per pixel"):
            datasets.read_image_info(str(tmp_path / "mono.bmp"))
        with pytest.raises(ValueError, match="palette.bmp.*colour palette"):
            datasets.read_image_info(str(tmp_path / "palette.bmp"))

    def test_write_is_atomic_on_failure(self, tmp_path):
        with pytest.raises(ValueError, match="Unsupported output"):
            datasets.write_image(str(tmp_path / "x.tif"), np.zeros((2, 2, 1)))
        assert os.listdir(tmp_path) == []


class TestImageDirectory:
    def test_random_crops(self, tmp_path, rng):
        for i in range(5):
            _write(tmp_path, f"{i}.png", _smooth(rng, 30 + i, 40, 3))
        ds = datasets.image_directory(
            str(tmp_path), crop_size=16, batch_size=4, seed=0
        )
        shapes = [tuple(b.shape) for b in ds]
        assert shapes == [(4, 16, 16, 3), (1, 16, 16, 3)]
        assert ds.options().autotune.enabled is not False
        first = np.concatenate([b.numpy() for b in ds])
        second = np.concatenate([b.numpy() for b in ds])
        assert not np.array_equal(first, second)  # new crops every epoch

    def test_full_images_mixed_kinds_to_gray(self, tmp_path, rng):
        _write(tmp_path, "a.png", _smooth(rng, 20, 30, 3))
        _write(tmp_path, "b.jpg", _smooth(rng, 25, 12, 1))
        _write(tmp_path, "c.png", _smooth(rng, 7, 9, 1), bit_depth=16)
        ds = datasets.image_directory(str(tmp_path), channels=1)
        shapes = [tuple(b.shape) for b in ds]
        assert shapes == [(1, 20, 30, 1), (1, 25, 12, 1), (1, 7, 9, 1)]
        with pytest.raises(ValueError, match="different sizes"):
            datasets.image_directory(str(tmp_path), batch_size=2)

    def test_gray_and_colour_bmps_stream_in_any_channels(self, tmp_path, rng):
        from PIL import Image

        gray = rng.integers(0, 256, (6, 7), dtype="uint8")
        rgba = rng.integers(0, 256, (6, 7, 4), dtype="uint8")
        Image.fromarray(gray).save(tmp_path / "a_gray.bmp")
        Image.fromarray(rgba[..., :3]).save(tmp_path / "b_rgb.bmp")
        Image.fromarray(rgba, "RGBA").save(tmp_path / "c_rgba.bmp")
        gray_f = gray[..., None] / np.float32(255)
        rgb_f = rgba[..., :3] / np.float32(255)
        luma = rgb_f @ np.array([0.2125, 0.7154, 0.0721], "float32")
        # channels=None takes the first file, a gray BMP: 1 channel.
        for channels in (None, 1):
            batches = [
                b.numpy()[0]
                for b in datasets.image_directory(
                    str(tmp_path), channels=channels
                )
            ]
            assert [b.shape for b in batches] == [(6, 7, 1)] * 3
            np.testing.assert_allclose(batches[0], gray_f, atol=1e-6)
            np.testing.assert_allclose(batches[1][..., 0], luma, atol=1e-6)
            np.testing.assert_allclose(batches[2][..., 0], luma, atol=1e-6)
        batches = [
            b.numpy()[0]
            for b in datasets.image_directory(str(tmp_path), channels=3)
        ]
        np.testing.assert_allclose(batches[0], np.repeat(gray_f, 3, -1))
        np.testing.assert_allclose(batches[1], rgb_f, atol=1e-6)
        np.testing.assert_allclose(batches[2], rgb_f, atol=1e-6)  # no alpha
        crops = datasets.image_directory(
            str(tmp_path), crop_size=4, batch_size=3, channels=1, seed=0
        )
        assert tuple(next(iter(crops)).shape) == (3, 4, 4, 1)

    def test_sixteen_bit_values_are_kept(self, tmp_path, rng):
        image = rng.random((6, 6, 1)).astype("float32")
        _write(tmp_path, "x.png", image, bit_depth=16)
        (batch,) = list(datasets.image_directory(str(tmp_path)))
        np.testing.assert_allclose(batch[0], image, atol=1e-5)

    def test_names_filter(self, tmp_path, rng):
        for name in ("a", "b", "c"):
            _write(tmp_path, f"{name}.png", _smooth(rng, 8, 8, 1))
        ds = datasets.image_directory(str(tmp_path), names=["a", "c"])
        assert len(list(ds)) == 2
        with pytest.raises(ValueError, match="not found.*zz"):
            datasets.image_directory(str(tmp_path), names=["zz"])

    def test_errors_before_any_work(self, tmp_path, rng):
        with pytest.raises(FileNotFoundError, match="No such directory"):
            datasets.image_directory(str(tmp_path / "nope"))
        with pytest.raises(ValueError, match="No image files"):
            datasets.image_directory(str(tmp_path))
        _write(tmp_path, "small.png", _smooth(rng, 8, 8, 1))
        with pytest.raises(ValueError, match="smaller than.*small.png"):
            datasets.image_directory(str(tmp_path), crop_size=16)
        (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
        with pytest.raises(ValueError, match="broken.png"):
            datasets.image_directory(str(tmp_path))
        with pytest.raises(ValueError, match="crop_size"):
            datasets.image_directory(str(tmp_path), crop_size=0)
        with pytest.raises(ValueError, match="channels"):
            datasets.image_directory(str(tmp_path), channels=2)


@pytest.mark.slow
class TestMemory:
    """The baseline is taken before the dataset is built, so a pipeline
    that decoded (or read) the whole folder at construction would show the
    set's size as growth; streaming keeps the growth to a few batches and
    decode buffers. The bound, a fifth of the set as float32, is below the
    set's size even as uint8."""

    def test_image_directory_streams(self, tmp_path, rng):
        _many_images(tmp_path / "many", rng)
        _warm_up(tmp_path, rng)
        before = _rss()
        ds = datasets.image_directory(
            str(tmp_path / "many"), crop_size=64, batch_size=8, seed=0
        )
        count = sum(len(batch) for batch in ds)
        growth = _rss() - before
        assert count == MANY
        assert growth < 0.2 * MANY_BYTES, (growth, MANY_BYTES)

    def test_paired_image_directory_streams(self, tmp_path, rng):
        _many_images(tmp_path / "clean", rng, noisy=tmp_path / "noisy")
        _warm_up(tmp_path, rng)
        before = _rss()
        ds = datasets.paired_image_directory(
            str(tmp_path / "noisy"),
            str(tmp_path / "clean"),
            crop_size=64,
            batch_size=8,
            seed=0,
        )
        count = sum(len(noisy) for noisy, _ in ds)
        growth = _rss() - before
        assert count == MANY
        # Twice the images (noisy and clean) are streamed.
        assert growth < 0.2 * MANY_BYTES, (growth, MANY_BYTES)


class TestPairedImageDirectory:
    def test_pairs_match_by_stem_and_crop_together(self, tmp_path, rng):
        for i in range(4):
            image = _smooth(rng, 32, 40, 3)
            _write(tmp_path / "clean", f"{i:02d}.png", image)
            # Same content, other extension: the crops must coincide.
            _write(tmp_path / "noisy", f"{i:02d}.png", image)
        ds = datasets.paired_image_directory(
            str(tmp_path / "noisy"),
            str(tmp_path / "clean"),
            crop_size=(12, 20),
            batch_size=3,
            crops_per_image=2,
            seed=1,
        )
        assert ds.options().autotune.enabled is not False
        count = 0
        for noisy, clean in ds:
            assert noisy.shape[1:] == (12, 20, 3)
            np.testing.assert_array_equal(noisy, clean)
            count += len(noisy)
        assert count == 8

    def test_full_pairs_in_name_order(self, tmp_path, rng):
        for name in ("b", "a"):
            _write(tmp_path / "clean", f"{name}.png", _smooth(rng, 9, 10, 1))
            _write(tmp_path / "noisy", f"{name}.jpg", _smooth(rng, 9, 10, 1))
        pairs = list(
            datasets.paired_image_directory(
                str(tmp_path / "noisy"), str(tmp_path / "clean")
            )
        )
        assert len(pairs) == 2
        expected, _ = datasets.read_image(str(tmp_path / "clean" / "a.png"))
        np.testing.assert_allclose(pairs[0][1][0], expected)

    def test_unmatched_names_are_listed(self, tmp_path, rng):
        for name in ("a", "b", "c"):
            _write(tmp_path / "clean", f"{name}.png", _smooth(rng, 8, 8, 1))
        for name in ("a", "x"):
            _write(tmp_path / "noisy", f"{name}.png", _smooth(rng, 8, 8, 1))
        with pytest.raises(ValueError, match="Unmatched") as info:
            datasets.paired_image_directory(
                str(tmp_path / "noisy"), str(tmp_path / "clean")
            )
        message = str(info.value)
        assert "1 in" in message and "x" in message
        assert "2 in" in message and "b, c" in message

    def test_size_mismatch(self, tmp_path, rng):
        _write(tmp_path / "clean", "a.png", _smooth(rng, 8, 8, 1))
        _write(tmp_path / "noisy", "a.png", _smooth(rng, 8, 9, 1))
        with pytest.raises(ValueError, match="different sizes: a.png 8x9"):
            datasets.paired_image_directory(
                str(tmp_path / "noisy"), str(tmp_path / "clean")
            )


def test_image_size_resizes_mixed_sizes(tmp_path, rng):
    for i, (h, w) in enumerate([(20, 40), (30, 30), (12, 18)]):
        _write(tmp_path, f"{i}.png", _smooth(rng, h, w, 1))
    ds = datasets.image_directory(
        tmp_path, image_size=(10, 10), batch_size=3, channels=1
    )
    (batch,) = list(ds)
    assert tuple(batch.shape) == (3, 10, 10, 1)


def test_crop_to_aspect_ratio_keeps_the_centre(tmp_path):
    # A 20x40 image, left and right quarters black, centre white: the
    # centred square crop is all white; a plain resize keeps the black.
    image = np.zeros((20, 40, 1))
    image[:, 10:30] = 1.0
    _write(tmp_path, "a.png", image)
    cropped = next(
        iter(
            datasets.image_directory(
                tmp_path, image_size=10, crop_to_aspect_ratio=True
            )
        )
    ).numpy()
    squashed = next(
        iter(datasets.image_directory(tmp_path, image_size=10))
    ).numpy()
    np.testing.assert_allclose(cropped, 1.0, atol=1e-6)
    assert squashed[0, :, 0].max() < 0.1


def test_validation_split_subsets(tmp_path, rng):
    for i in range(10):
        _write(tmp_path, f"{i}.png", _smooth(rng, 8, 8, 1) * 0 + i / 10)
    kwargs = dict(validation_split=0.3, seed=1, channels=1)

    def values(ds):
        return sorted(round(float(b[0, 0, 0, 0]) * 10) for b in ds)

    train = datasets.image_directory(tmp_path, subset="training", **kwargs)
    valid = datasets.image_directory(tmp_path, subset="validation", **kwargs)
    both = datasets.image_directory(tmp_path, subset="both", **kwargs)
    assert len(values(train)) == 7 and len(values(valid)) == 3
    assert sorted(values(train) + values(valid)) == list(range(10))
    assert values(both[0]) == values(train)
    assert values(both[1]) == values(valid)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"validation_split": 0.2, "subset": "training"}, "seed=None"),
        ({"validation_split": 0.2, "seed": 1}, "subset=None"),
        ({"validation_split": 1.5, "subset": "both", "seed": 1}, "=1.5"),
        ({"subset": "training"}, "needs a `validation_split`"),
        ({"image_size": 0}, "image_size=0"),
        ({"image_size": 8, "crop_size": 9}, "must fit in `image_size`"),
    ],
)
def test_split_and_size_arguments(tmp_path, rng, kwargs, match):
    _write(tmp_path, "a.png", _smooth(rng, 8, 8, 1))
    with pytest.raises(ValueError, match=match):
        datasets.image_directory(tmp_path, **kwargs)


def _class_folders(tmp_path, counts):
    """Images whose value is their class index / 10, in one sub-folder per
    class; a top-level image that labelled streams leave out."""
    for label, (name, count) in enumerate(counts.items()):
        for i in range(count):
            image = np.full((8, 8, 1), label / 10 + i / 100, "float32")
            _write(tmp_path / name, f"{i}.png", image)
    _write(tmp_path, "stray.png", np.ones((8, 8, 1)))


def test_inferred_labels_follow_sorted_sub_folders(tmp_path):
    # Written out of order: classes are numbered in sorted name order.
    _class_folders(tmp_path, {"zebra": 2, "ant": 3, "cat": 1})
    ds = datasets.image_directory(
        tmp_path, labels="inferred", batch_size=6, channels=1
    )
    assert ds.class_names == ["ant", "cat", "zebra"]
    (images, labels) = next(iter(ds))
    assert labels.dtype.name == "int32"
    # Each label matches the class the image was written in.
    written = {0.0: "zebra", 0.1: "ant", 0.2: "cat"}
    classes = [written[round(float(v), 1)] for v in images[:, 0, 0, 0]]
    assert [ds.class_names[i] for i in labels.numpy()] == classes
    assert sorted(labels.numpy().tolist()) == [0, 0, 0, 1, 2, 2]


def test_label_modes_crops_and_class_names(tmp_path):
    _class_folders(tmp_path, {"a": 2, "b": 2})
    common = dict(labels="inferred", channels=1, batch_size=8)
    _, onehot = next(
        iter(
            datasets.image_directory(
                tmp_path, label_mode="categorical", **common
            )
        )
    )
    assert onehot.shape == (4, 2) and onehot.dtype.name == "float32"
    np.testing.assert_array_equal(onehot.numpy().sum(axis=1), 1.0)
    _, binary = next(
        iter(datasets.image_directory(tmp_path, label_mode="binary", **common))
    )
    assert binary.shape == (4, 1)
    unlabelled = next(
        iter(datasets.image_directory(tmp_path, label_mode=None, **common))
    )
    assert unlabelled.shape == (4, 8, 8, 1)  # top-level file left out
    # Crops keep their image's label; class_names sets the order.
    ds = datasets.image_directory(
        tmp_path,
        crop_size=4,
        crops_per_image=3,
        class_names=["b", "a"],
        seed=0,
        **common,
    )
    batches = list(ds)  # one pass: every pass draws new crops
    images = np.concatenate([b[0].numpy() for b in batches])
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert len(labels) == 12
    np.testing.assert_array_equal(
        np.where(images[:, 0, 0, 0] < 0.05, 1, 0), labels
    )


def test_labels_survive_the_validation_split(tmp_path):
    _class_folders(tmp_path, {"a": 5, "b": 5})
    train, valid = datasets.image_directory(
        tmp_path,
        labels="inferred",
        validation_split=0.4,
        subset="both",
        seed=3,
        channels=1,
        batch_size=1,
    )
    pairs = [
        (round(float(x[0, 0, 0, 0]) * 10), int(y[0]))
        for ds in (train, valid)
        for x, y in ds
    ]
    assert len(pairs) == 10 and len(list(valid)) == 4
    assert all(value == label for value, label in pairs)
    assert valid.class_names == ["a", "b"]


def test_explicit_labels_and_label_errors(tmp_path, rng):
    for i in range(3):
        _write(tmp_path, f"{i}.png", _smooth(rng, 8, 8, 1))
    ds = datasets.image_directory(tmp_path, labels=[2, 0, 1], batch_size=3)
    assert next(iter(ds))[1].numpy().tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="2 values for 3 image"):
        datasets.image_directory(tmp_path, labels=[0, 1])
    with pytest.raises(ValueError, match="labels='folders'"):
        datasets.image_directory(tmp_path, labels="folders")
    with pytest.raises(ValueError, match="label_mode='sparse'"):
        datasets.image_directory(
            tmp_path, labels=[0, 1, 2], label_mode="sparse"
        )
    with pytest.raises(ValueError, match="needs exactly 2 classes; found 3"):
        datasets.image_directory(
            tmp_path, labels=[0, 1, 2], label_mode="binary"
        )
    with pytest.raises(ValueError, match="it has none"):
        datasets.image_directory(tmp_path, labels="inferred")
    with pytest.raises(ValueError, match='needs `labels="inferred"`'):
        datasets.image_directory(tmp_path, class_names=["a"])
    _class_folders(tmp_path / "sets", {"a": 1, "b": 1})
    with pytest.raises(ValueError, match="class_names=\\['a', 'c'\\]"):
        datasets.image_directory(
            tmp_path / "sets", labels="inferred", class_names=["a", "c"]
        )
