"""Programs a PyTorch user writes on day one (tutorial and docs style), each written once as a
function of ``lib`` and run with both ``torch`` and ``ember``: same seeds, the same initial weights
(copied from torch where the random streams differ), and the outputs, losses, gradients and printed
text must agree."""

import io

import numpy as np
import pytest
import torch

import ember


def sync(mine, theirs):
    """Give ember module ``mine`` the torch module ``theirs``'s weights and buffers."""
    mine.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    )


def close(a, b, rtol=1e-5, atol=1e-6):
    """Compare nested results (tensors, arrays, numbers, strings, lists, tuples, dicts)."""
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            close(a[k], b[k], rtol, atol)
    elif isinstance(a, (list, tuple)):
        assert type(a).__name__ == type(b).__name__ and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            close(x, y, rtol, atol)
    elif isinstance(a, str):
        assert a.replace("ember", "torch") == b
    elif a is None:
        assert b is None
    elif hasattr(a, "detach"):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
        assert str(a.dtype).replace("ember", "torch") == str(b.dtype)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def both(program, make=None):
    """Run ``program(lib, model)`` with both libraries and return (ember result, torch result)."""
    theirs = mine = None
    if make is not None:
        torch.manual_seed(0)
        theirs = make(torch)
        mine = make(ember)
        sync(mine, theirs)
    return program(ember, mine), program(torch, theirs)


# ---------------------------------------------------------------- 1. custom module, containers


def make_net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5))
            self.heads = nn.ModuleList([nn.Linear(8, 3) for _ in range(2)])
            self.extra = nn.ModuleDict({"scale": nn.Linear(3, 3, bias=False)})
            self.register_buffer("offset", lib.zeros(3))

        def forward(self, x):
            h = self.body(x)
            out = sum(head(h) for head in self.heads)
            return self.extra["scale"](out) + self.offset

    return Net()


def test_custom_module_structure_and_repr():
    def program(lib, net):
        names = [(n, tuple(p.shape)) for n, p in net.named_parameters()]
        count = sum(p.numel() for p in net.parameters())
        trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
        net.heads[0].requires_grad_(False)
        trainable_after = sum(p.numel() for p in net.parameters() if p.requires_grad)
        net.eval()
        flags = [m.training for m in net.modules()]
        x = lib.arange(8, dtype=lib.float32).reshape(2, 4) / 8
        with lib.no_grad():
            y = net(x)
        net.train()
        return (
            str(names),
            count,
            trainable,
            trainable_after,
            str(flags),
            y,
            repr(net),
            str(list(net.state_dict().keys())),
            str([n for n, _ in net.named_buffers()]),
            str([n for n, _ in net.named_children()]),
        )

    close(*both(program, make_net))


# ---------------------------------------------------------------- 2. state dicts and files


def test_state_dict_strict_and_not_and_save_load():
    def program(lib, net):
        sd = net.state_dict()
        buf = io.BytesIO()
        lib.save(sd, buf)
        buf.seek(0)
        loaded = lib.load(buf)
        torch_like = make_net(lib)
        torch_like.load_state_dict(loaded)
        partial = {k: v for k, v in loaded.items() if not k.startswith("extra")}
        with pytest.raises(RuntimeError) as info:
            torch_like.load_state_dict(partial)
        missing = "Missing key(s)" in str(info.value)
        result = torch_like.load_state_dict(partial, strict=False)
        extra = dict(loaded, bogus=lib.ones(1))
        result2 = torch_like.load_state_dict(extra, strict=False)
        tensors = {"a": lib.arange(3), "b": lib.ones(2, 2, dtype=lib.float64)}
        buf2 = io.BytesIO()
        lib.save(tensors, buf2)
        buf2.seek(0)
        back = lib.load(buf2)
        return (
            missing,
            str(result.missing_keys),
            str(result.unexpected_keys),
            str(result2.unexpected_keys),
            back,
            torch_like.extra["scale"].weight,
        )

    close(*both(program, make_net))


# ---------------------------------------------------------------- 3. init with apply


def test_apply_init_fn():
    def program(lib, _):
        nn = lib.nn
        lib.manual_seed(0)
        net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        visited = []

        def init_weights(m):
            visited.append(type(m).__name__)
            if isinstance(m, nn.Linear):
                nn.init.constant_(m.weight, 0.5)
                nn.init.zeros_(m.bias)

        ret = net.apply(init_weights)
        return str(visited), ret is net, net[0].weight, net[2].bias, net(lib.ones(1, 3))

    close(*both(program))


# ---------------------------------------------------------------- 4. training loop


def test_training_loop_dataloader_optimizer_scheduler():
    def make(lib):
        nn = lib.nn
        return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2)).astype(np.float32)
    Y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0).astype(np.int64)

    def program(lib, model):
        from_lib = lib.utils.data
        ds = from_lib.TensorDataset(lib.from_numpy(X), lib.from_numpy(Y))
        loader = from_lib.DataLoader(ds, batch_size=8, shuffle=False, drop_last=True)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        loss_fn = lib.nn.CrossEntropyLoss()
        losses, lrs, norms = [], [], []
        for _epoch in range(4):
            model.train()
            for xb, yb in loader:
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                norms.append(float(lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
                opt.step()
                losses.append(loss.item())
            sched.step()
            lrs.append(sched.get_last_lr())
        model.eval()
        with lib.no_grad():
            pred = model(lib.from_numpy(X)).argmax(dim=1)
            acc = (pred == lib.from_numpy(Y)).float().mean().item()
        return losses, lrs, norms, acc, len(loader), len(ds)

    close(*both(program, make), rtol=1e-4, atol=1e-5)


def test_dataloader_shuffle_generator_batches():
    def program(lib, _):
        data = lib.utils.data
        ds = data.TensorDataset(lib.arange(10), lib.arange(10) * 10)
        g = lib.Generator().manual_seed(0)
        loader = data.DataLoader(ds, batch_size=3, shuffle=True, generator=g)
        shuffled = sorted(sum((x.tolist() for x, _ in loader), []))
        batches = [(x.shape[0], (y == x * 10).all().item()) for x, y in loader]
        return shuffled, str(batches), len(loader), str(ds[3])

    close(*both(program))


# ---------------------------------------------------------------- 5. hooks


def test_hooks():
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Sigmoid())

    def program(lib, model):
        seen = {}

        def fwd(module, inp, out):
            seen["fwd"] = (type(inp).__name__, len(inp), out.detach().clone())

        def bwd(module, grad_input, grad_output):
            seen["bwd"] = (len(grad_input), len(grad_output), grad_output[0].clone())

        h1 = model[0].register_forward_hook(fwd)
        h2 = model[0].register_full_backward_hook(bwd)
        from_utils = isinstance(h1, lib.utils.hooks.RemovableHandle)
        x = lib.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
        y = model(x)
        z = y * 3
        z.register_hook(lambda g: g * 2)
        z.sum().backward()
        h1.remove()
        h2.remove()
        model(x)
        fwd_seen, bwd_seen = seen["fwd"], seen["bwd"]
        return from_utils, str(fwd_seen[:2]), fwd_seen[2], str(bwd_seen[:2]), bwd_seen[2], x.grad

    close(*both(program, make))


# ---------------------------------------------------------------- 6. gradient penalty


def test_gradient_penalty_create_graph():
    def make(lib):
        nn = lib.nn
        return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))

    def program(lib, critic):
        real = lib.tensor([[0.5, -1.0], [1.5, 2.0]])
        fake = lib.tensor([[0.1, 0.2], [-0.3, 0.4]])
        alpha = lib.tensor([[0.3], [0.7]])
        interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        out = critic(interp)
        (grads,) = lib.autograd.grad(
            outputs=out,
            inputs=interp,
            grad_outputs=lib.ones_like(out),
            create_graph=True,
            retain_graph=True,
        )
        penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
        return penalty, grads, [p.grad for p in critic.parameters()]

    close(*both(program, make))


# ---------------------------------------------------------------- 7. custom autograd.Function


def test_custom_function():
    def program(lib, _):
        class MyExp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, scale):
                y = x.exp() * scale
                ctx.save_for_backward(y)
                ctx.scale = scale
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y, None

        x = lib.tensor([0.0, 1.0, -1.0], requires_grad=True)
        y = MyExp.apply(x, 2.0)
        y.sum().backward()
        return y, x.grad, type(y.grad_fn).__name__.replace("Backward", ""), y.requires_grad

    close(*both(program))


# ---------------------------------------------------------------- 8. printing and conversions


def test_printing_and_conversions():
    def program(lib, _):
        lib.manual_seed(0)
        t = lib.tensor([[1.0, 2.5], [3.0, -4.0]])
        r = lib.tensor([1, 2, 3])
        w = lib.tensor([0.5, 1.5], requires_grad=True)
        s = (w * 2).sum()
        return (
            repr(t),
            str(r),
            repr(w),
            repr(s),
            repr(t.double()),
            repr(lib.tensor(3.5)),
            repr(lib.zeros(2, 3, dtype=lib.int64)),
            repr(lib.tensor([True, False])),
            t.sum().item(),
            t.tolist(),
            r.tolist(),
            t.numpy().tolist(),
            str(t.dtype),
            str(t.shape),
            str(t.size()),
            t.size(1),
            t.dim(),
            str(t.device),
        )

    close(*both(program))


def test_dtype_device_handling():
    def program(lib, _):
        t = lib.ones(2, 2, device="cpu")
        a = t.to(lib.float64)
        b = t.double()
        c = t.to("cpu")
        d = t.to(device="cpu", dtype=lib.float16)
        e = lib.tensor([1, 2], dtype=lib.int32).float()
        f = a + t
        g = lib.arange(4).to(t)
        m = lib.nn.Linear(2, 2).double()
        return (
            str(a.dtype),
            str(b.dtype),
            c is t,
            str(d.dtype),
            str(e.dtype),
            str(f.dtype),
            str(g.dtype),
            str(m.weight.dtype),
            str(t.device),
            t.is_floating_point(),
            str(lib.get_default_dtype()),
            t.type(lib.float64).dtype == lib.float64,
            str(t.long().dtype),
            str(t.int().dtype),
            str(t.half().dtype),
            str(t.bool().dtype),
        )

    close(*both(program))


# ---------------------------------------------------------------- 9. shape functions


def test_shape_functions():
    def program(lib, _):
        a = lib.arange(24, dtype=lib.float32).reshape(2, 3, 4)
        return (
            lib.cat([a, a], dim=0),
            lib.stack([a, a], dim=1),
            lib.split(a, 2, dim=2),
            lib.split(a, [1, 3], dim=2),
            a.chunk(3, dim=1),
            lib.chunk(a, 2, dim=-1),
            a.view(6, 4),
            a.view(-1),
            a.reshape(4, -1),
            a.permute(2, 0, 1),
            a.flatten(),
            a.flatten(1),
            lib.flatten(a, start_dim=0, end_dim=1),
            a.unsqueeze(0).squeeze(),
            a[:, :1].squeeze(1),
            a.transpose(0, 1).contiguous().view(3, 8),
            a.unflatten(2, (2, 2)),
            list(a.unbind(0)),
            a.mean(dim=(0, 2)),
            a.max(dim=1).values,
            a.max(dim=1).indices,
            a.T if a.dim() == 2 else a.mT,
            a.split(3, dim=-1),
            a.expand(2, 2, 3, 4),
            a.repeat(1, 2, 1),
            a.size(),
        )

    close(*both(program))


# ---------------------------------------------------------------- 10. seeds


def test_manual_seed_reproducible():
    def program(lib, _):
        lib.manual_seed(42)
        a = lib.rand(3)
        lib.manual_seed(42)
        b = lib.rand(3)
        c = lib.randn(2, 2, generator=lib.Generator().manual_seed(1))
        d = lib.randn(2, 2, generator=lib.Generator().manual_seed(1))
        return (a == b).all().item(), (c == d).all().item(), tuple(a.shape), str(a.dtype)

    close(*both(program))


# ---------------------------------------------------------------- 11. CNN tutorial + checkpoint


def make_cnn(lib):
    nn, F = lib.nn, lib.nn.functional

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, padding=1, bias=False)  # BN follows
            self.bn = nn.BatchNorm2d(4)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc = nn.Linear(4 * 4 * 4, 3)

        def forward(self, x):
            x = self.pool(F.relu(self.bn(self.conv1(x))))
            x = x.view(-1, 4 * 4 * 4)
            return F.log_softmax(self.fc(x), dim=1)

    return CNN()


def test_cnn_training_and_checkpoint_resume():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 1, 8, 8)).astype(np.float32)
    Y = np.array([0, 1, 2, 0, 1, 2])

    def program(lib, model):
        opt = lib.optim.Adam(model.parameters(), lr=1e-2)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
        x, y = lib.from_numpy(X), lib.from_numpy(Y)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = lib.nn.functional.nll_loss(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss)
        checkpoint = {
            "epoch": 3,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(),
            "loss": losses[-1].item(),
        }
        buf = io.BytesIO()
        lib.save(checkpoint, buf)
        buf.seek(0)
        restored = lib.load(buf)
        fresh = make_cnn(lib)
        fresh.load_state_dict(restored["model_state_dict"])
        opt2 = lib.optim.Adam(fresh.parameters(), lr=1e-2)
        opt2.load_state_dict(restored["optimizer_state_dict"])
        opt2.zero_grad()
        lib.nn.functional.nll_loss(fresh(x), y).backward()
        opt2.step()
        fresh.eval()
        with lib.no_grad():
            out = fresh(x)
        return (
            losses,
            restored["epoch"],
            restored["loss"],
            fresh.bn.running_mean,
            fresh.bn.num_batches_tracked,
            out,
            sched.get_last_lr(),
            repr(model),
            str(opt2.state_dict()["param_groups"]),
        )

    close(*both(program, make_cnn), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- 12. embeddings and an LSTM


def test_embedding_lstm_classifier():
    def make(lib):
        nn = lib.nn

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10, 4, padding_idx=0)
                self.lstm = nn.LSTM(4, 5, batch_first=True)
                self.out = nn.Linear(5, 2)

            def forward(self, tokens):
                h, (hn, cn) = self.lstm(self.emb(tokens))
                return self.out(h[:, -1]), hn.shape, cn.shape

        return Tagger()

    def program(lib, model):
        tokens = lib.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
        logits, hs, cs = model(tokens)
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor([0, 1]))
        loss.backward()
        return logits, tuple(hs), tuple(cs), loss, model.emb.weight.grad, repr(model)

    close(*both(program, make), rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- 13. reprs of containers, norms


def test_container_and_norm_reprs():
    def program(lib, _):
        nn = lib.nn
        m = nn.Module()
        m.one = nn.ParameterList([nn.Parameter(lib.ones(2))])
        m.two = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), nn.Parameter(lib.ones(1))])
        m.named = nn.ParameterDict({"a": nn.Parameter(lib.ones(2, dtype=lib.float64))})
        m.norms = nn.Sequential(
            nn.BatchNorm1d(3),
            nn.BatchNorm2d(3, affine=False),
            nn.BatchNorm1d(3, bias=False),
            nn.LayerNorm(3),
            nn.LayerNorm(3, bias=False),
            nn.GroupNorm(1, 3),
            nn.GroupNorm(1, 3, bias=False),
            nn.InstanceNorm1d(3),
        )
        params = [n for n, _ in m.named_parameters()]
        return repr(m), str(params), m.norms[2].bias, m.norms[6].bias

    close(*both(program))


# ---------------------------------------------------------------- 14. error messages users meet


@pytest.mark.parametrize(
    "program",
    [
        lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3, 2)]),
        lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 3, 1)]),
        lambda lib: lib.tensor([1, 2]).mean(),
        lambda lib: lib.autograd.grad(
            (lib.ones(2, requires_grad=True) * 2).sum(), [lib.ones(2, requires_grad=True)]
        ),
        lambda lib: lib.nn.Linear(2, 2).load_state_dict({"weight": lib.ones(2, 2)}),
        lambda lib: lib.ones(2, 3).view(-1, 4),
        lambda lib: lib.ones(2, 3) @ lib.ones(2, 3),
    ],
)
def test_error_messages(program):
    errors = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            program(lib)
        errors.append((type(info.value).__name__, str(info.value).replace("ember", "torch")))
    assert errors[0] == errors[1]
