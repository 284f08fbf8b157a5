"""``increment_version``: tell autograd that a tensor changed behind its back.

Every in-place op bumps its tensor's version counter (``tensor._vc[0]``); a node that saved the
tensor for backward checks the counter and refuses to use a changed value. A change ember
cannot see (writing through ``tensor.numpy()`` or a raw array) skips that bump; this makes it.
"""

__all__ = ["increment_version"]


def increment_version(tensor):
    """Update autograd metadata tracking whether the given Tensor was modified in place.

    Accepts a tensor or an iterable of tensors. A tensor made in ``inference_mode`` has no
    version counter, so it is left as it is (as in PyTorch).
    """
    tensors = (tensor,) if hasattr(tensor, "_vc") else tensor
    try:
        tensors = list(tensors)
    except TypeError:
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input") from None
    for t in tensors:
        if not hasattr(t, "_vc"):
            raise RuntimeError("increment_version expect a Iterable[Tensor] as input")
        if not t.is_inference():
            t._vc[0] += 1
