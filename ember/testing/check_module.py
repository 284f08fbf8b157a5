"""``check_module``: the conformance test every layer passes (Torch7's ``nn.Jacobian``, extended).

    ember.testing.check_module(MyLayer(3, 4), ember.randn(5, 3))
    ember.testing.check_module(nn.NLLLoss(), log_probs, target=classes)

On a float64 copy of the module it checks that

1. the Torch7 protocol (``updateOutput``, ``backward(input, gradOutput)``) and autograd
   (``module(x)``, then backward from ``gradOutput``) give the same output, ``gradInput`` and
   parameter gradients;
2. those equal finite differences (central, in float64);
3. ``gradWeight`` *is* ``weight.grad`` for every parameter, and ``backward`` returns ``gradInput``;
4. ``scale`` multiplies the parameter gradients and not ``gradInput``, and gradients accumulate,
   from the protocol and from autograd alike;
5. a single unbatched sample gives the batch's row, and the per-sample parameter gradients add up
   to the batch's (when the module accepts the sample alone, returns one tensor and draws no
   random numbers);
6. a ``state_dict`` round trip into a perturbed copy restores the outputs (tensors kept as plain
   attributes are perturbed too: a checkpoint would not hold them).

The input may hold integers (indices, as for an embedding): then only parameter gradients are
checked. The output may be a tuple of tensors (nested one level, as an LSTM's); ``gradOutput``
then has the same structure. A layer with a hand-written ``updateGradInput``/
``accGradParameters`` that is wrong in any way fails with an :class:`AssertionError` naming the
check. Random layers (dropout) are checked with the random number generator replayed before each
forward, so every forward draws the same mask.
"""

import copy

import numpy

from ..autograd.grad_mode import no_grad
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor, backward, wrap

__all__ = ["check_module", "ModuleCheckError"]


class ModuleCheckError(AssertionError):
    """Raised by :func:`check_module` when the module fails one of its checks."""


def check_module(
    module, input, target=None, *, atol=1e-6, rtol=1e-5, eps=1e-6, scale=0.5, unbatched=None, seed=0
):
    """Check ``module`` on ``input`` (and ``target`` for a loss); returns True or raises
    :class:`ModuleCheckError`. ``unbatched``: True to require the single-sample check, False to
    skip it, None to run it when the module accepts ``input[0]``."""
    checker = _Checker(module, input, target, atol, rtol, eps, seed)
    checker.protocol_against_autograd()
    checker.finite_differences()
    if target is None:
        checker.scale_and_accumulation(scale)
        if unbatched is not False:
            checker.unbatched(required=bool(unbatched))
    checker.state_dict_round_trip()
    return True


def _flat(value):
    """The tensors in a module's output (or gradOutput): a tensor, or tuples of them."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flat(v)]
    return []


class _Checker:
    def __init__(self, module, input, target, atol, rtol, eps, seed):
        if not isinstance(input, Tensor):
            raise TypeError(f"check_module: input must be a Tensor, got {type(input).__name__}")
        self.name = type(module).__name__
        self.module = copy.deepcopy(module).double()
        self.differentiable = input.is_floating_point()
        self.x = wrap(_float64(input.detach()._data))
        self.target = None if target is None else wrap(_float64(target.detach()._data))
        self.atol, self.rtol, self.eps = atol, rtol, eps
        self.rng = numpy.random.default_rng(seed)
        self.rng_state = get_rng_state()  # replayed before every forward: the same random draws
        self.params = [(n, p) for n, p in self.module.named_parameters() if p.requires_grad]

    # ----- running the module -------------------------------------------------------------------

    def _args(self, x):
        return (x,) if self.target is None else (x, self.target)

    def forward(self, x, module=None):
        """The protocol's forward: ``updateOutput`` (which ``forward`` is, for Torch7-style layers;
        a module that only writes ``forward`` gets an ``updateOutput`` that calls it)."""
        set_rng_state(self.rng_state)
        return (module or self.module).updateOutput(*self._args(x))

    def call(self, x):
        set_rng_state(self.rng_state)
        return self.module(*self._args(x))

    def fresh_input(self, requires_grad=True):
        x = wrap(self.x._data.copy())
        return x.requires_grad_() if requires_grad and self.differentiable else x

    def grads(self):
        return {n: _array(p.grad, p) for n, p in self.params}

    def random_like(self, output):
        """A gradOutput of the output's structure (None for non-floating outputs)."""
        if isinstance(output, Tensor):
            if not output.is_floating_point():
                return None
            return wrap(self.rng.standard_normal(output._data.shape))
        return type(output)(self.random_like(o) for o in output)

    def backward_from(self, output):
        """Autograd from ``output`` with ``gradOutput`` (ones for a loss)."""
        pairs = [(o, g) for o, g in zip(_flat(output), self.grad_outputs(output)) if o._rg]
        if pairs:
            backward([o for o, _ in pairs], [g for _, g in pairs])

    def grad_outputs(self, output):
        if self.gradOutput is None:
            return [wrap(numpy.ones_like(o._data)) for o in _flat(output)]
        return [
            g if g is not None else wrap(numpy.zeros(o._data.shape))
            for o, g in zip(_flat(output), _flat_with_none(self.gradOutput))
        ]

    def fail(self, check, message):
        raise ModuleCheckError(f"check_module({self.name}): {check}: {message}")

    def close(self, check, actual, expected, atol=None, rtol=None):
        actual, expected = numpy.asarray(actual), numpy.asarray(expected)
        if actual.shape != expected.shape:
            self.fail(check, f"shape {list(actual.shape)}, expected {list(expected.shape)}")
        atol = self.atol if atol is None else atol
        rtol = self.rtol if rtol is None else rtol
        if not numpy.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True):
            diff = numpy.abs(actual - expected)
            where = numpy.unravel_index(numpy.nanargmax(diff), diff.shape) if diff.ndim else ()
            self.fail(
                check,
                f"max abs difference {numpy.nanmax(diff):.3g} at index "
                f"{tuple(int(i) for i in where)}: got {actual[where]!r}, expected "
                f"{expected[where]!r}",
            )

    def same_outputs(self, check, actual, expected, **tolerance):
        actual, expected = _flat(actual), _flat(expected)
        if len(actual) != len(expected):
            self.fail(check, f"{len(actual)} output tensors, expected {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            self.close(
                check if len(actual) == 1 else f"{check} (output {i})",
                a._data,
                e._data,
                **tolerance,
            )

    def same_grads(self, check, actual, expected, factor=1.0, **tolerance):
        for name, value in expected.items():
            self.close(f"{check}, parameter '{name}'", actual[name], factor * value, **tolerance)

    # ----- 1 and 3: the protocol against autograd -----------------------------------------------

    def protocol_against_autograd(self):
        module, exact = self.module, {"atol": 1e-12, "rtol": 1e-9}
        x = self.fresh_input()
        output = self.forward(x)
        if module.output is not output:
            self.fail("forward", "updateOutput(input) must set module.output to what it returns")
        self.gradOutput = None
        if self.target is None:
            self.gradOutput = self.random_like(output)
            module.zeroGradParameters()
            grad_input = module.backward(x, self.gradOutput)
        else:
            grad_input = module.backward(*self._args(x))
        if grad_input is not module.gradInput:
            self.fail("backward", "backward must return module.gradInput")
        if self.differentiable and not isinstance(grad_input, Tensor):
            self.fail("backward", f"gradInput is {type(grad_input).__name__}, not a Tensor")
        self.output, self.grad_input, self.param_grads = output, grad_input, self.grads()
        for mod in module.modules():
            for name, param in mod._parameters.items():
                torch7 = "grad" + name[0].upper() + name[1:]
                if (
                    param is not None
                    and param.requires_grad
                    and getattr(mod, torch7) is not (param.grad)
                ):
                    self.fail(
                        "gradients",
                        f"{type(mod).__name__}.{torch7} is not {type(mod).__name__}.{name}.grad",
                    )

        module.zero_grad()
        x_auto = self.fresh_input()
        out = self.call(x_auto)
        self.same_outputs("autograd output == protocol output", out, output, **exact)
        self.backward_from(out)
        if self.differentiable:
            self.close(
                "autograd gradInput == protocol gradInput",
                _array(x_auto.grad, x_auto),
                grad_input._data,
                **exact,
            )
        self.same_grads(
            "autograd parameter gradient == protocol's", self.grads(), self.param_grads, **exact
        )

    # ----- 2: finite differences ----------------------------------------------------------------

    def _objective(self, x):
        with no_grad():
            out = self.forward(x)
        return float(
            sum(numpy.sum(o._data * g._data) for o, g in zip(_flat(out), self.grad_outputs(out)))
        )

    def _numeric(self, array, x):
        flat, grad = array.reshape(-1), numpy.zeros(array.size)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + self.eps
            plus = self._objective(x)
            flat[i] = original - self.eps
            minus = self._objective(x)
            flat[i] = original
            grad[i] = (plus - minus) / (2 * self.eps)
        return grad.reshape(array.shape)

    def finite_differences(self):
        x = self.fresh_input(requires_grad=False)
        tolerance = {"atol": max(self.atol, 1e-5), "rtol": max(self.rtol, 1e-4)}
        if self.differentiable:
            self.close(
                "protocol gradInput == finite differences",
                self.grad_input._data,
                self._numeric(x._data, x),
                **tolerance,
            )
        for name, param in self.params:
            self.close(
                f"protocol gradient of '{name}' == finite differences",
                self.param_grads[name],
                self._numeric(param._data, x),
                **tolerance,
            )

    # ----- 4: scale and accumulation ------------------------------------------------------------

    def scale_and_accumulation(self, scale):
        module, exact = self.module, {"atol": 1e-12, "rtol": 1e-9}
        x = self.fresh_input()
        module.zeroGradParameters()
        self.forward(x)
        grad_input = module.backward(x, self.gradOutput, scale)
        if self.differentiable:
            self.close(
                f"backward(scale={scale}) gradInput (scale must not change it)",
                grad_input._data,
                self.grad_input._data,
                **exact,
            )
        self.same_grads(
            f"backward(scale={scale}) parameter gradient",
            self.grads(),
            self.param_grads,
            scale,
            **exact,
        )
        self.forward(x)
        module.backward(x, self.gradOutput)
        self.same_grads(
            "a second backward without zeroGradParameters (must accumulate)",
            self.grads(),
            self.param_grads,
            scale + 1,
            **exact,
        )
        self.backward_from(self.call(self.fresh_input()))
        self.same_grads(
            "autograd after the protocol (must accumulate into the same .grad)",
            self.grads(),
            self.param_grads,
            scale + 2,
            **exact,
        )

    # ----- 5: one sample against the batch ------------------------------------------------------

    def unbatched(self, required):
        module = self.module
        reason = None
        if self.x.ndim < 2:
            reason = "input has no batch dim to take a sample from"
        elif not isinstance(self.output, Tensor):
            reason = "the module returns several tensors"
        else:
            self.forward(self.fresh_input())
            if get_rng_state() != self.rng_state:
                reason = "the module draws random numbers, which depend on the input's shape"
        if reason is not None:
            if required:
                self.fail("unbatched", reason)
            return
        samples = []
        try:
            for i in range(self.x.shape[0]):
                sample = wrap(self.x._data[i].copy())
                if self.differentiable:
                    sample.requires_grad_()
                module.zeroGradParameters()
                output = self.forward(sample)
                grad_input = module.backward(sample, wrap(self.gradOutput._data[i].copy()))
                samples.append((output._data, grad_input, self.grads()))
        except (RuntimeError, ValueError, IndexError) as error:
            if required:
                self.fail("unbatched", f"the module rejects a single sample: {error}")
            return
        for i, (output, grad_input, _) in enumerate(samples):
            self.close(
                f"unbatched sample {i}: output == the batch's row", output, self.output._data[i]
            )
            if self.differentiable:
                self.close(
                    f"unbatched sample {i}: gradInput == the batch's row",
                    grad_input._data,
                    self.grad_input._data[i],
                )
        total = {n: sum(s[2][n] for s in samples) for n, _ in self.params}
        self.same_grads(
            "per-sample parameter gradients summed == the batch's", total, self.param_grads
        )

    # ----- 6: state_dict round trip -------------------------------------------------------------

    def state_dict_round_trip(self):
        state = self.module.state_dict()
        copy_ = copy.deepcopy(self.module)
        # Perturb what the state dict holds, and tensors kept as plain attributes (state that a
        # checkpoint would lose); the protocol's own output/gradInput and unsaved buffers stay.
        kept = list(copy_.state_dict().values())
        for module in copy_.modules():
            kept.extend(
                value
                for name, value in module.__dict__.items()
                if isinstance(value, Tensor)
                and name not in ("output", "gradInput")
                and name not in module._parameters
                and name not in module._buffers
            )
        with no_grad():
            for tensor in kept:
                if tensor.is_floating_point():
                    tensor._data += self.rng.standard_normal(tensor._data.shape) + 1
        copy_.load_state_dict(state)
        keys = list(copy_.state_dict())
        if keys != list(state):
            self.fail("state_dict", f"keys after loading {keys} != {list(state)}")
        x = self.fresh_input(requires_grad=False)
        with no_grad():
            expected = [o._data.copy() for o in _flat(self.forward(x))]
            got = [o._data for o in _flat(self.forward(x, copy_))]
        for e, g in zip(expected, got):
            self.close("outputs after a state_dict round trip", g, e, atol=0, rtol=0)


def _flat_with_none(value):
    """Like :func:`_flat`, keeping the None of non-floating outputs so the two line up."""
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flat_with_none(v)]
    return [value]


def _float64(array):
    return array.astype(numpy.float64) if array.dtype.kind == "f" else array.copy()


def _array(grad, like):
    return numpy.zeros_like(like._data) if grad is None else grad._data.copy()
