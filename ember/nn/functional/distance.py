"""Norms and distances between vectors: ``normalize``, ``cosine_similarity``,
``pairwise_distance``. Each is written with ember's differentiable functions, so autograd gives
its gradient (and its second derivative) with nothing written twice."""

from ... import functions as _functions
from .activation import floating

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    floating(input, "normalize")
    norm = _functions.norm(input, p, dim, keepdim=True)
    return input / _functions.clamp(norm, min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (broadcasting)."""
    floating(x1, "cosine_similarity")
    floating(x2, "cosine_similarity")
    n1 = _functions.clamp(_functions.norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = _functions.clamp(_functions.norm(x2, 2, dim, keepdim=True), min=eps)
    return _functions.sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dim."""
    floating(x1, "pairwise_distance")
    return _functions.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
