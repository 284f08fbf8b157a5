"""Higher-level autograd, as ``torch.autograd.functional``: vector-Jacobian and Jacobian-vector
products, whole Jacobians and Hessians of a function of tensors.

Everything is reverse mode (``ember.autograd.grad``):
- ``vjp``: one backward pass with ``v`` as the output gradient, ``v^T J``.
- ``jvp``: forward mode without forward mode, by the double-backward trick. A backward pass with
  a symbolic output gradient ``u`` gives ``g(u) = J^T u``, which is linear in ``u``; the
  gradient of ``v . g(u)`` with respect to ``u`` is ``J v``.
- ``jacobian``: one backward pass per output element, each with a one-hot output gradient.
- ``hessian``: the Jacobian of the Jacobian; ``vhp`` and ``hvp``: a gradient of a gradient.

Inputs and outputs may be a tensor or a tuple of tensors; results come back in the same
structure as PyTorch returns them. ``vectorize`` (PyTorch's experimental batched backward) is
accepted and ignored: the results are the same.
"""

import numpy

from ..functions import stack
from ..tensor import Tensor, wrap
from .grad import grad as autograd_grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ----- tuples in, tuples out -------------------------------------------------------------------


def _as_tuple(value, what, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``, with a clear error for anything else."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {what}"
            raise TypeError(
                f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                f"{where} has type {type(item)}."
            )
    return is_tuple, items


def _untuple(result, was_tuple):
    """Undo :func:`_as_tuple`; ``was_tuple`` is one flag, or (outer, inner) for nested results."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def _fresh_inputs(inputs, create_graph, need_graph):
    """New tensor objects for the inputs: connected to the originals when the result must be
    differentiable through them, otherwise detached leaves (requiring grad when ``need_graph``).
    New objects, so the function's own uses of the originals (captured in a closure) are not
    mistaken for uses of the inputs."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
        for t in inputs
    )


def _finished(tensors, create_graph):
    """Results without history unless the caller asked for a differentiable result."""
    if create_graph:
        return tensors
    return tuple(t.detach() if isinstance(t, Tensor) else _finished(t, False) for t in tensors)


def _check_v(v, reference, reference_is_tuple):
    if len(v) != len(reference):
        if reference_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(reference)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (given, ref) in enumerate(zip(v, reference)):
        if given.shape != ref.shape:
            entry = f"Entry {i} in " if reference_is_tuple else ""
            raise RuntimeError(
                f"{entry}v has invalid size: should be {ref.shape} but got {given.shape}."
            )


def _prepare_v(v, reference, reference_is_tuple, create_graph, fn_name, none_message):
    if v is None:
        if len(reference) != 1 or reference[0].numel() != 1:
            raise RuntimeError(none_message)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _fresh_inputs(v, create_graph, need_graph=False)
    _check_v(v, reference, reference_is_tuple)
    return v


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs "
    "must be computed in a differentiable manner from the input when running in "
    "strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
    "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input. This is not "
    "allowed in strict mode. You should ensure that your function is twice "
    "differentiable and that the jacobian depends on the inputs (this would be "
    "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode. You should ensure "
    "that your function is thrice differentiable and that the hessian depends on the "
    "inputs.",
}


def _check_requires_grad(tensors, kind, strict):
    """In strict mode, every tensor must depend differentiably on the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs not requiring grad and gives None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return autograd_grad(
        [o for o, _ in kept],
        inputs,
        [g for _, g in kept],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
    "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode "
    "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This "
    "is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
    "in the grad_jacobian. This is not allowed in strict mode as it prevents "
    "from using the double backward trick to replace forward mode AD.",
}


def _zeros_like(t):
    return wrap(numpy.zeros_like(t._data))


def _fill_in_zeros(grads, references, strict, create_graph, stage):
    """Zeros for the gradients that came back None (the mathematically right answer), or the
    strict-mode error."""
    result = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = _zeros_like(references[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode when create_graph=True."
            )
        result.append(g)
    return tuple(result)


def _single_scalar_output(outputs, is_tuple, fn_name):
    if is_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )


# ----- the public functions --------------------------------------------------------------------


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass with ``v`` as the
    gradient of the output. ``v`` may be left out when the output has one element."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        v = _prepare_v(
            v,
            outputs,
            outputs_tuple,
            create_graph,
            "vjp",
            "The vector v can only be None if the user-provided function returns a "
            "single Tensor with a single element.",
        )
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (
        _untuple(_finished(outputs, create_graph), outputs_tuple),
        _untuple(_finished(result, create_graph), inputs_tuple),
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick (see the
    module docstring). ``v`` may be left out when the input has one element."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        v = _prepare_v(
            v,
            inputs,
            inputs_tuple,
            create_graph,
            "jvp",
            "The vector v can only be None if the input to the user-provided function "
            "is a single Tensor with a single element.",
        )
        outputs_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        # J^T u is linear in u, so u's value never matters: zeros keep NaN and inf out.
        symbolic = tuple(_zeros_like(out).requires_grad_() for out in outputs)
        grad_inputs = _grad(outputs, inputs, symbolic, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(grad_inputs, symbolic, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (
        _untuple(_finished(outputs, create_graph), outputs_tuple),
        _untuple(_finished(result, create_graph), outputs_tuple),
    )


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j``, a tensor of shape
    ``output_i.shape + input_j.shape``; a tensor, a tuple, or a tuple of tuples, as in PyTorch.

    Row by row: the backward pass of output element ``k`` with a one-hot gradient is row ``k``.
    ``strategy="forward-mode"`` gives the same numbers (ember computes them in reverse mode).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode", got '
            f"{strategy!r}. Hint: if your function has more outputs than inputs, "
            '"forward-mode" tends to be more performant; otherwise prefer "reverse-mode".'
        )
    if strategy == "forward-mode" and create_graph:
        raise NotImplementedError(
            'jacobian: `create_graph=True` and `strategy="forward-mode"` are not supported '
            'together. Please either set `create_graph=False` or `strategy="reverse-mode"`.'
        )
    if vectorize and strict:
        raise RuntimeError(
            "jacobian: `strict=True` and `vectorized=True` are not supported together. Please "
            "either set `strict=False` or `vectorize=False`."
        )
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict)
        result = tuple(
            _jacobian_of(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs)
        )
    return _untuple(_finished(result, create_graph), (outputs_tuple, inputs_tuple))


def _jacobian_of(index, out, inputs, create_graph, strict):
    """The Jacobians of one output with respect to each input."""
    rows = [[] for _ in inputs]
    one_hot = numpy.zeros(out.numel(), out._data.dtype)
    for k in range(out.numel()):
        one_hot[k] = 1
        seed = wrap(one_hot.reshape(out.shape).copy())
        one_hot[k] = 0
        grads = _grad((out,), inputs, (seed,), create_graph=create_graph, retain_graph=True)
        for j, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {index} of the user-provided function is independent of input "
                        f"{j}. This is not allowed in strict mode."
                    )
                g = _zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input "
                    f"{index}. This is not allowed in strict mode when create_graph=True."
                )
            rows[j].append(g)
    result = []
    for j, inp in enumerate(inputs):
        shape = tuple(out.shape) + tuple(inp.shape)
        if not rows[j]:  # an output with no elements
            result.append(wrap(numpy.zeros(shape, inp._data.dtype)))
        elif create_graph:
            result.append(stack(rows[j]).reshape(shape))
        else:
            result.append(wrap(numpy.stack([g._data for g in rows[j]]).reshape(shape)))
    return tuple(result)


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient. For a tuple of inputs,
    ``H[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode", got '
            f"{outer_jacobian_strategy!r}."
        )

    def scalar_func(*args):
        out = func(*args)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        _single_scalar_output(outs, out_tuple, "hessian")
        return out.reshape(())

    def gradient(*args):
        jac = jacobian(scalar_func, args, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _untuple(result, (inputs_tuple, inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: the gradient of ``v . grad(func)``."""
    with enable_grad():
        inputs_tuple, inputs, v, outputs = _second_order_setup(
            func, inputs, v, create_graph, strict, "vhp"
        )
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (
        _finished(outputs, create_graph)[0],
        _untuple(_finished(result, create_graph), inputs_tuple),
    )


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``, by the double-backward trick applied to the
    gradient (equal to ``vhp`` when the Hessian is symmetric, which it is for smooth functions)."""
    with enable_grad():
        inputs_tuple, inputs, v, outputs = _second_order_setup(
            func, inputs, v, create_graph, strict, "hvp"
        )
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        symbolic = tuple(_zeros_like(t).requires_grad_() for t in inputs)
        double_back = _grad(jac, inputs, symbolic, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(double_back, symbolic, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return (
        _finished(outputs, create_graph)[0],
        _untuple(_finished(result, create_graph), inputs_tuple),
    )


def _second_order_setup(func, inputs, v, create_graph, strict, fn_name):
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
    v = _prepare_v(
        v,
        inputs,
        inputs_tuple,
        create_graph,
        fn_name,
        "The vector v can only be None if the input to the user-provided function is "
        "a single Tensor with a single element.",
    )
    outputs_tuple, outputs = _as_tuple(
        func(*inputs), "outputs of the user-provided function", fn_name
    )
    _check_requires_grad(outputs, "outputs", strict)
    _single_scalar_output(outputs, outputs_tuple, fn_name)
    return inputs_tuple, inputs, v, outputs
