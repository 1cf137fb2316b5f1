import numpy as np
import pytest

from keras_denoise import datasets


class TestLoadDigits:
    def test_shapes_range_and_labels(self):
        (x, y), (x_test, y_test) = datasets.load_digits(16)
        assert x.shape == (1438, 16, 16, 1)
        assert x_test.shape == (359, 16, 16, 1)
        assert x.dtype == np.float32
        assert x.min() >= 0.0 and x.max() <= 1.0
        assert x.max() > 0.9  # strokes reach the top of the range
        assert set(np.unique(y)) == set(range(10))
        assert len(y) == len(x) and len(y_test) == len(x_test)

    def test_original_size_is_exact(self):
        from sklearn.datasets import load_digits

        (x, _), (x_test, _) = datasets.load_digits(8, test_split=0.0)
        assert len(x_test) == 0
        reference = load_digits().images.astype("float32") / 16.0
        # Same multiset of images: sort by a content key to compare.
        key = lambda a: np.lexsort(a.reshape(len(a), -1).T)  # noqa: E731
        got = x[..., 0][key(x[..., 0])]
        np.testing.assert_allclose(got, reference[key(reference)])

    def test_deterministic_and_seeded(self):
        (a, ya), _ = datasets.load_digits(8, seed=3)
        (b, yb), _ = datasets.load_digits(8, seed=3)
        (c, _), _ = datasets.load_digits(8, seed=4)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ya, yb)
        assert not np.array_equal(a, c)

    def test_split_has_no_overlap(self):
        (x, _), (x_test, _) = datasets.load_digits(8)
        train = {row.tobytes() for row in x}
        # sklearn's digits contain a few exact duplicates; compare indices
        # through the split instead: sizes add up and test images are
        # mostly absent from train.
        absent = sum(row.tobytes() not in train for row in x_test)
        assert len(x) + len(x_test) == 1797
        assert absent >= len(x_test) - 5

    @pytest.mark.parametrize(
        "kwargs, error, match",
        [
            ({"size": 1}, ValueError, "`size` must be an integer >= 2"),
            ({"size": 8.5}, TypeError, "Received: size=8.5"),
            ({"test_split": 1.0}, ValueError, "`test_split` must be a number"),
            ({"test_split": "0.2"}, TypeError, "`test_split` must be a num"),
            ({"seed": -1}, ValueError, "`seed` must be None or an integer in"),
            ({"seed": "3"}, TypeError, "`seed` must be None or an integer in"),
        ],
    )
    def test_invalid_arguments(self, kwargs, error, match):
        # A wrong type is a TypeError, a wrong value a ValueError.
        with pytest.raises(error, match=match):
            datasets.load_digits(**kwargs)


class TestLoadFaces:
    def test_shapes_and_labels(self):
        (x, y), (x_test, y_test) = datasets.load_faces(24)
        assert x.shape[1:] == (24, 24, 1) and len(x) + len(x_test) == 200
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert np.concatenate([y, y_test]).sum() == 100


class TestNaturalImages:
    def test_loads_named_images(self):
        images = datasets.load_natural_images(["camera", "astronaut"])
        assert images["camera"].shape == (512, 512, 1)
        assert images["astronaut"].shape == (512, 512, 3)
        gray = datasets.load_natural_images(["astronaut"], grayscale=True)
        assert gray["astronaut"].shape == (512, 512, 1)
        rgb = images["astronaut"]
        expected = rgb @ np.array([0.2125, 0.7154, 0.0721], "float32")
        np.testing.assert_allclose(
            gray["astronaut"][..., 0], expected, atol=1e-6
        )

    def test_all_default_images_are_local(self):
        images = datasets.load_natural_images()
        assert list(images) == list(datasets.NATURAL_IMAGE_NAMES)
        for image in images.values():
            assert image.dtype == np.float32
            assert 0.0 <= image.min() and image.max() <= 1.0

    def test_unknown_name(self):
        with pytest.raises(ValueError, match="Received: names=\\('lena',\\)"):
            datasets.load_natural_images(["lena"])


class TestNaturalPatches:
    def test_shapes_and_range(self):
        train, test = datasets.natural_patches(32, patches_per_image=5)
        assert train.shape == (12 * 5, 32, 32, 1)
        assert test.shape == (3 * 5, 32, 32, 1)
        assert train.dtype == np.float32
        assert 0.0 <= train.min() and train.max() <= 1.0
        rgb, _ = datasets.natural_patches(
            16, patches_per_image=2, grayscale=False
        )
        assert rgb.shape[-1] == 3

    def test_deterministic_with_seed(self):
        a = datasets.natural_patches(16, patches_per_image=3, seed=7)
        b = datasets.natural_patches(16, patches_per_image=3, seed=7)
        c = datasets.natural_patches(16, patches_per_image=3, seed=8)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert not np.array_equal(a[0], c[0])

    def test_split_by_image_has_no_overlap(self):
        names = ["camera", "coins", "moon", "brick"]
        train, test = datasets.natural_patches(
            8, patches_per_image=20, names=names, held_out=["camera"]
        )
        images = datasets.load_natural_images(names, grayscale=True)

        def found_in(patch, image):
            # Exhaustive search of the patch in the image.
            windows = np.lib.stride_tricks.sliding_window_view(
                image[..., 0], (8, 8)
            )
            return bool(np.any(np.all(windows == patch[..., 0], axis=(-1, -2))))

        for patch in test:
            assert found_in(patch, images["camera"])
        for patch in train[::10]:
            assert not found_in(patch, images["camera"])

    def test_fractional_held_out_is_seeded(self):
        a_train, a_test = datasets.natural_patches(
            8, patches_per_image=1, held_out=0.25, seed=1
        )
        b_train, b_test = datasets.natural_patches(
            8, patches_per_image=1, held_out=0.25, seed=1
        )
        assert len(a_test) == 4 and len(a_train) == 11
        np.testing.assert_array_equal(a_test, b_test)

    @pytest.mark.parametrize(
        "kwargs, error, match",
        [
            ({"patch_size": 1}, ValueError, "`patch_size` must be"),
            ({"held_out": 1.5}, ValueError, "`held_out` must be a fraction"),
            ({"held_out": ["lena"]}, ValueError, "`held_out` must name"),
            ({"held_out": "camera"}, TypeError, "`held_out` must be"),
        ],
    )
    def test_invalid_arguments(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            datasets.natural_patches(**kwargs)
