"""Spatial transformers: ``affine_grid`` makes the sampling points of an affine map, and
``grid_sample`` reads an image at any points. The ops (and their VJPs) are in
:mod:`ember.ops.grid`; here are PyTorch's arguments, warnings and errors (2-D only)."""

import warnings

from ...ops import grid as G
from ...tensor import apply
from ._sizes import check_float, check_tensor

__all__ = ["affine_grid", "grid_sample"]


def _default_align_corners(align_corners):
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed "
            "to align_corners=False since 1.3.0. Please specify "
            "align_corners=True if the old behavior is desired. "
            "See the documentation of grid_sample for details.",
            stacklevel=3,
        )
        return False
    return bool(align_corners)


def affine_grid(theta, size, align_corners=None):
    """(N, H, W, 2) sampling points: output pixel ``(x, y)`` goes to ``theta[n] @ (x, y, 1)``,
    for ``size = (N, C, H, W)``."""
    check_tensor(theta, "affine_grid", "theta")
    align_corners = _default_align_corners(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                f"Got {theta.shape}."
            )
    elif len(size) == 5:
        raise NotImplementedError("affine_grid: 3D affine transforms are not supported by ember")
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, "
            "for 2D and 3D affine transforms, respectively. "
            f"Got size {size}."
        )
    if align_corners and min(size[-2:]) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed "
            "for unit-size grids when align_corners=True. "
            "This is not an intended use case of affine_grid. "
            "See the documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{size[0]}, 3] but got: [{theta.shape[0]}, 3]."
        )
    n, _, height, width = (int(s) for s in size)
    base = G.base_grid(height, width, align_corners, theta._data.dtype)
    return apply(G.affine_grid, theta, base, (n, height, width))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """``input`` (N, C, H, W) read at the points of ``grid`` (N, H_out, W_out, 2), given as
    (x, y) in [-1, 1]; ``mode`` ``'bilinear'`` or ``'nearest'``; points outside read 0
    (``'zeros'``), the nearest border pixel (``'border'``) or their mirror image
    (``'reflection'``)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode "
            "to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    align_corners = _default_align_corners(align_corners)
    check_tensor(input, "grid_sample")
    check_tensor(grid, "grid_sample", "grid")
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}"
        )
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, "
            f"but got grid with sizes {list(grid.shape)}"
        )
    if input.ndim != grid.ndim or input.ndim not in (4, 5):
        raise RuntimeError(
            "grid_sampler(): expected 4D or 5D input and grid with same number of "
            f"dimensions, but got {sizes}"
        )
    for i, n in enumerate(input.shape[2:], 2):
        if n == 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {i} being empty"
            )
    if input.ndim == 5 or mode == "bicubic":
        raise NotImplementedError("grid_sample: ember supports 4-D bilinear and nearest only")
    check_float(input, "grid_sample")
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"expected scalar type {_scalar_type(input)} but found {_scalar_type(grid)}"
        )
    return apply(G.grid_sample, input, grid, mode, padding_mode, align_corners)


def _scalar_type(t):
    return {"float64": "Double", "float32": "Float", "float16": "Half"}.get(
        str(t.dtype).split(".")[-1], str(t.dtype)
    )
