"""Input checks shared by the metric functions: turn sequences into 1-D numpy arrays or fail."""

from __future__ import annotations

from collections.abc import Hashable, Sequence, Sized
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

# What the public functions accept: a list (or tuple) of plain values, or a 1-D array.
Floats: TypeAlias = Sequence[float] | NDArray[Any]
Bools: TypeAlias = Sequence[bool] | Sequence[int] | NDArray[Any]  # True/False or 1/0
Labels: TypeAlias = Sequence[int] | NDArray[Any]  # 1/0 or True/False
GroupIds: TypeAlias = Sequence[Hashable] | NDArray[Any]


def as_bool_vector(values: ArrayLike, name: str) -> NDArray[np.bool_]:
    """Return `values` as a 1-D bool array; accept bools or the integers 0 and 1.

    Raises:
        ValueError: if `values` is not 1-D or holds anything other than True/False/0/1.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of booleans, got shape {array.shape}")
    if array.dtype == np.bool_:
        return array
    if array.size == 0:
        return np.zeros(0, dtype=bool)
    if array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold only True/False (or 0/1), got {array[:5].tolist()}...")
    return array.astype(bool)


def as_float_vector(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return `values` as a 1-D float array with no NaN or infinity.

    Raises:
        ValueError: if `values` is not 1-D, not numeric, or holds NaN or infinity.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a 1-D sequence of numbers: {error}") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop or impute them first")
    return array


def as_binary_labels(labels: ArrayLike, name: str) -> NDArray[np.bool_]:
    """Return 0/1 (or bool) class labels as a 1-D bool array where True is the positive class.

    Raises:
        ValueError: if a label is anything other than 0, 1, True or False.
    """
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of 0/1 labels, got shape {array.shape}")
    if array.dtype == np.bool_:
        return array
    if array.size and (array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all()):
        raise ValueError(
            f"{name} must hold only 0 (negative) and 1 (positive), got {np.unique(array)[:5]}"
        )
    return array.astype(bool)


def group_codes(group_ids: GroupIds, name: str) -> tuple[NDArray[np.intp], int]:
    """Map group ids to codes 0..G-1 in order of first appearance; return (codes, G).

    A dict is used rather than `np.unique` so that ids of mixed types (say ints and
    strings) work and the group order follows the data.
    """
    codes_of: dict[Hashable, int] = {}
    try:
        codes = [codes_of.setdefault(group_id, len(codes_of)) for group_id in group_ids]
    except TypeError as error:
        raise ValueError(f"{name} must hold hashable ids: {error}") from error
    return np.asarray(codes, dtype=np.intp), len(codes_of)


def check_same_length(first: Sized, second: Sized, first_name: str, second_name: str) -> None:
    """Raise ValueError unless the two inputs have the same number of items."""
    if len(first) != len(second):
        raise ValueError(
            f"{first_name} and {second_name} must have the same length, "
            f"got {len(first)} and {len(second)}"
        )


def check_positive_int(value: int, name: str) -> int:
    """Return `value` if it is an int >= 1, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)
