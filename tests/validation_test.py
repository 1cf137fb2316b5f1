"""Tests of the package-wide argument checks in `keras_denoise._validation`.

One policy: `TypeError` for a value of the wrong type, `ValueError` for a
value of the right type that is not allowed.
"""

import numpy as np
import pytest

from keras_denoise import _validation as v


@pytest.mark.parametrize("value", [1.5, True, "2", None, (1,)])
def test_check_int_rejects_wrong_types_with_type_error(value):
    with pytest.raises(TypeError, match=r"`n` must be an integer >= 1\."):
        v.check_int("n", value)


@pytest.mark.parametrize("value", [0, -3])
def test_check_int_rejects_small_values_with_value_error(value):
    with pytest.raises(ValueError, match=r"`n` must be an integer >= 1\."):
        v.check_int("n", value)


def test_check_int_accepts_numpy_integers():
    value = v.check_int("n", np.int64(3), minimum=3)
    assert value == 3 and type(value) is int
    assert v.check_int("n", None, allow_none=True) is None


def test_seed():
    assert v.validate_seed(None) is None and v.validate_seed(0) == 0
    with pytest.raises(TypeError, match="Received: seed='3'"):
        v.validate_seed("3")
    with pytest.raises(ValueError, match="Received: seed=-1"):
        v.validate_seed(-1)


def test_int_sequence():
    assert v.validate_int_sequence("filters", [8, 16]) == (8, 16)
    with pytest.raises(TypeError, match="filters"):
        v.validate_int_sequence("filters", (8, "16"))
    with pytest.raises(TypeError, match="filters"):
        v.validate_int_sequence("filters", 8)
    with pytest.raises(ValueError, match="filters"):
        v.validate_int_sequence("filters", (8, 0))
    with pytest.raises(ValueError, match="non-empty"):
        v.validate_int_sequence("filters", ())


def test_numbers_and_rates():
    assert v.validate_number("sigma", 2) == 2.0
    with pytest.raises(TypeError, match="sigma"):
        v.validate_number("sigma", "0.1")
    with pytest.raises(ValueError, match="sigma"):
        v.validate_number("sigma", float("nan"))
    assert v.validate_rate("dropout", 0.5) == 0.5
    with pytest.raises(TypeError, match="dropout"):
        v.validate_rate("dropout", "0.5")
    with pytest.raises(ValueError, match="dropout"):
        v.validate_rate("dropout", 1.0)


def test_name_choice_and_projection():
    with pytest.raises(TypeError, match="name=3"):
        v.validate_name(3)
    with pytest.raises(ValueError, match="name=''"):
        v.validate_name("")
    assert v.validate_projection("pca") == "pca"
    with pytest.raises(ValueError, match="projection='tsne'"):
        v.validate_projection("tsne")
