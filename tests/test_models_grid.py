"""Grid-world models (2D Shapes, 3D Blocks): sen, full, none/cnn (C-SWM).

Equivariance tests apply every element of C4 x S5 (4 rotations x 120 slot permutations,
batched) to seeded random inputs in float64 and compare with the declared representation:
masks rotate by ``torch.rot90``, regular C4 fields roll along the last axis, slots permute,
the action's direction shifts by the rotation and its object index follows the permutation.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from baselines.cswm import CSWM, ShapesCNN
    from baselines.full import GridFull
    from escnn import nn as enn
    from benchmark.models.c4 import (orbit_indices, orbit_stack, roll_regular, rotate_action,
                                     rotate_grid)
    from benchmark.models.escnn_layers import RegularLinear
    from benchmark.models.gnn import plain_mlp
    from benchmark.models.grid import GridSEN
    from benchmark.models.grid_embeddings import NUM_OBJECTS
from benchmark.registry import count_parameters

K = 5
TOL = 1e-5
SMALL_EQ = dict(embedding_hidden=2, encoder_hidden=6, transition_hidden=6, latent_dim=2)
SMALL_CSWM = dict(embedding_hidden=4, encoder_hidden=16, transition_hidden=16, latent_dim=2)
SMALL = {GridSEN: SMALL_EQ, GridFull: SMALL_EQ, CSWM: SMALL_CSWM, ShapesCNN: SMALL_CSWM}
ALL_METHODS = [(ShapesCNN, "shapes"), (CSWM, "shapes"), (CSWM, "blocks"), (GridSEN, "shapes"),
               (GridSEN, "blocks"), (GridFull, "shapes"), (GridFull, "blocks")]
ALL_PERMS = torch.tensor(list(itertools.permutations(range(K))))          # [120, 5]
GROUP = [(k, p) for k in range(4) for p in range(len(ALL_PERMS))]        # C4 x S5: 480 elements


def make(cls, env, seed=0, **overrides):
    """Build a model with seeded init, without leaking global RNG state; 3D Blocks with the
    default profile's 10x10 masks (25 C4 orbits) unless ``mask_size`` is given (the paper's
    50x50 default is checked in tests/test_paper_profile.py)."""
    blocks = {"mask_size": 10} if env == "blocks" else {}
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return cls(env, **{**SMALL[cls], **blocks, **overrides})


def rng_tensor(seed, *shape, dtype=torch.float64):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def permute_action(action, perm):
    """Action after relabelling slots so that new slot p holds old slot perm[p]."""
    inv = torch.argsort(perm)
    return inv[action // 4] * 4 + action % 4


def apply_group(transform, elements):
    """Stack along the batch, for every (rotation k, permutation index p), transform(k, perm)."""
    return torch.cat([transform(k, ALL_PERMS[p]) for k, p in elements], 0)


def rel_err(a, b):
    """max|a - b| / max|b|; an all-zero reference ``b`` fails (dead ReLUs would make any
    equivariance check pass)."""
    assert b.abs().max() > 0, "all-zero reference: the comparison would be vacuous"
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


# --------------------------------------------------------------------------------------
# group actions and the orbit stack
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [5, 4])
def test_orbit_stack_rolls_under_rotation(size):
    idx = orbit_indices(size)
    assert idx.shape == ((size * size + 3) // 4, 4)
    assert sorted(set(idx.flatten().tolist())) == list(range(size * size))   # orbits cover the grid
    assert sum(len(set(row)) for row in idx.tolist()) == size * size         # and are disjoint
    m = rng_tensor(0, 3, K, size, size)
    for k in range(4):
        rotated = orbit_stack(torch.rot90(m, k, (-2, -1)))
        assert torch.equal(rotated, torch.roll(orbit_stack(m), k, -1))


def test_rotate_grid_roll_and_action_per_sample():
    x = rng_tensor(1, 6, K, 5, 5)
    g = torch.tensor([0, 1, 2, 3, 5, -1])
    out = rotate_grid(x, g)
    for b in range(6):
        assert torch.equal(out[b], torch.rot90(x[b], int(g[b]) % 4, (-2, -1)))
    z = rng_tensor(2, 6, K, 3, 4)
    zr = roll_regular(z, g)
    for b in range(6):
        assert torch.equal(zr[b], torch.roll(z[b], int(g[b]) % 4, -1))
    assert torch.equal(rotate_grid(x, 1), torch.rot90(x, 1, (-2, -1)))
    a = torch.arange(20)
    assert torch.equal(rotate_action(a, 1) % 4, (a % 4 + 1) % 4)   # up -> left -> down -> right
    assert torch.equal(rotate_action(a, 1) // 4, a // 4)
    assert torch.equal(rotate_action(a, torch.full((20,), 4)), a)
    with pytest.raises(ValueError):
        rotate_grid(x, torch.zeros(6))                                   # float group elements
    with pytest.raises(ValueError):
        roll_regular(z, torch.zeros(3, dtype=torch.long))                # wrong batch size


def test_regular_linear_init_matches_torch_linear_scale():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        lin = RegularLinear(64, 32)
    matrix, _ = lin.linear.expand_parameters()
    assert matrix.shape == (128, 256)
    assert abs(float(matrix.std()) * (3 * 256) ** 0.5 - 1.0) < 0.05
    blocks = matrix.view(32, 4, 64, 4)                                     # circulant 4x4 blocks
    assert torch.allclose(blocks[:, 1:, :, 1:], blocks[:, :-1, :, :-1], atol=1e-6)


# --------------------------------------------------------------------------------------
# E: C4 x S5 equivariance of the encoders
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [GridSEN, GridFull])
def test_encoder_c4_equivariant_every_rotation(cls):
    model = make(cls, "shapes").double().eval()
    m = rng_tensor(3, 4, K, 5, 5)
    z = model.encode_embedding(m)
    assert z.shape == (4, K, 2, 4)
    assert float((z - torch.roll(z, 1, -1)).abs().max()) > 1e-3       # not trivially invariant
    for k in range(4):
        out = model.encode_embedding(model.act_on_embedding(m, k))
        assert rel_err(out, model.act_on_latent(z, k)) < TOL


@pytest.mark.parametrize("cls", [GridSEN, GridFull])
def test_encoder_c4_x_s5_equivariant_every_group_element(cls):
    model = make(cls, "blocks").double().eval()
    n = 2
    side = model.embedding.mask_size                                    # 10: 25 orbits
    assert side == 10
    m = rng_tensor(4, n, K, side, side)
    z = model.encode_embedding(m)
    out = model.encode_embedding(apply_group(lambda k, p: torch.rot90(m[:, p], k, (-2, -1)), GROUP))
    expected = apply_group(lambda k, p: torch.roll(z[:, p], k, -1), GROUP)
    assert out.shape == (n * len(GROUP), K, 2, 4)
    assert rel_err(out, expected) < TOL


# --------------------------------------------------------------------------------------
# T: C4 x S5 equivariance of the transitions (state and action)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [GridSEN, GridFull])
def test_transition_c4_equivariant_every_rotation(cls):
    model = make(cls, "shapes").double().eval()
    z = rng_tensor(5, 8, K, 2, 4) * 2 - 1
    a = torch.randint(0, 20, (8,), generator=torch.Generator().manual_seed(5))
    out = model.transition(z, a)
    assert float((out - z).abs().max()) > 1e-3                          # a real update
    other = model.transition(z, rotate_action(a, 1))
    assert float((out - other).abs().max()) > 1e-4                      # the action matters
    for k in range(4):
        rotated = model.transition(model.act_on_latent(z, k), rotate_action(a, k))
        assert rel_err(rotated, model.act_on_latent(out, k)) < TOL


@pytest.mark.parametrize("cls", [GridSEN, GridFull])
def test_transition_c4_x_s5_equivariant_every_group_element(cls):
    model = make(cls, "blocks").double().eval()
    n = 3
    z = rng_tensor(6, n, K, 2, 4) * 2 - 1
    a = torch.randint(0, 20, (n,), generator=torch.Generator().manual_seed(6))
    out = model.transition(z, a)
    z_g = apply_group(lambda k, p: torch.roll(z[:, p], k, -1), GROUP)
    a_g = apply_group(lambda k, p: rotate_action(permute_action(a, p), k), GROUP)
    expected = apply_group(lambda k, p: torch.roll(out[:, p], k, -1), GROUP)
    assert rel_err(model.transition(z_g, a_g), expected) < TOL


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_transition_random_group_elements_fresh_inputs(seed):
    """A few seeded random C4 x S5 elements on fresh, larger batches (float32 model, rel. tol)."""
    rng = np.random.default_rng(seed)
    model = make(GridSEN, "shapes", seed=seed)
    z = torch.randn(32, K, 2, 4, generator=torch.Generator().manual_seed(seed))
    a = torch.as_tensor(rng.integers(0, 20, 32))
    perm, k = torch.as_tensor(rng.permutation(K)), int(rng.integers(0, 4))
    out = model.transition(torch.roll(z[:, perm], k, -1), rotate_action(permute_action(a, perm), k))
    assert rel_err(out, torch.roll(model.transition(z, a)[:, perm], k, -1)) < 1e-5


# --------------------------------------------------------------------------------------
# S: the Full baseline's steerable CNN is exactly pixel-rotation equivariant
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ["shapes", "blocks"])
@pytest.mark.parametrize("train_mode", [False, True])
def test_full_embedding_c4_equivariant_on_pixels(env, train_mode):
    model = make(GridFull, env).double().train(train_mode)
    img = rng_tensor(7, 2, 3, 50, 50)
    with torch.no_grad():
        v = model.embed(img)
        side = 5 if env == "shapes" else 10
        assert v.shape == (2, K, side, side) and float(v.min()) >= 0 and float(v.max()) <= 1
        for k in range(4):
            out = model.embed(torch.rot90(img, k, (-2, -1)))
            assert rel_err(out, model.act_on_embedding(v, k)) < TOL
        g = torch.tensor([3, 1])                                         # per-sample twins
        assert rel_err(model.embed(rotate_grid(img, g)), model.act_on_embedding(v, g)) < TOL


def test_twin_conventions_agree_on_rendered_shapes():
    """Twin state (r, c) -> (4 - c, r) renders as torch.rot90(img, 1); Full's prediction on the
    twin transition is the rolled prediction, with the twin action d -> d + 1."""
    obs, a, _ = batch(4, b=4)
    cells = [divmod(int(i), 5) for i in np.random.default_rng(4).choice(25, size=K, replace=False)]
    twin_cells = [(4 - c, r) for r, c in cells]
    assert torch.equal(render(twin_cells), torch.rot90(render(cells), 1, (-2, -1)))
    for d, (dr, dc) in enumerate(MOVES):  # the twin of a move in direction d moves in d + 1
        assert (-dc, dr) == MOVES[(d + 1) % 4]
    model = make(GridFull, "shapes").double().eval()
    with torch.no_grad():
        pred = model.transition(model.encode(obs.double()), a)
        twin = model.transition(model.encode(rotate_grid(obs.double(), 1)), rotate_action(a, 1))
    assert rel_err(twin, model.act_on_latent(pred, 1)) < TOL


def test_full_whole_model_equivariant_on_shapes():
    """Full on pixels: encode(rot img) == roll(encode(img)), and the rolled-out prediction too."""
    model = make(GridFull, "shapes").double().eval()
    img = rng_tensor(8, 3, 3, 50, 50)
    a = torch.tensor([0, 7, 18])
    with torch.no_grad():
        pred = model.transition(model.encode(img), a)
        for k in range(4):
            z_k = model.encode(torch.rot90(img, k, (-2, -1)))
            pred_k = model.transition(z_k, rotate_action(a, k))
            assert rel_err(pred_k, model.act_on_latent(pred, k)) < TOL


# --------------------------------------------------------------------------------------
# the non-equivariant counterparts fail the same tests
# --------------------------------------------------------------------------------------
SIGNED_PERMS_2D = [torch.tensor(m, dtype=torch.float64) for m in
                   ([[1, 0], [0, 1]], [[0, -1], [1, 0]], [[-1, 0], [0, -1]], [[0, 1], [-1, 0]],
                    [[1, 0], [0, -1]], [[-1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1], [-1, 0]])]


@pytest.mark.parametrize("env", ["shapes", "blocks"])
def test_none_encoder_and_transition_not_c4_equivariant(env):
    """C-SWM's latent [B, 5, 2] has no C4 representation that makes E or T equivariant."""
    model = make(CSWM, env).double().eval()
    side = model.embedding.mask_size
    m = rng_tensor(9, 8, K, side, side)
    z = model.encode_embedding(m)
    z_rot = model.encode_embedding(model.act_on_embedding(m, 1))
    zz = rng_tensor(10, 8, K, 2) * 2 - 1
    a = torch.randint(0, 20, (8,), generator=torch.Generator().manual_seed(10))
    out = model.transition(zz, a)
    for rho in SIGNED_PERMS_2D:  # trivial, the 2D rotation reps, reflections, ...
        # far above float64 noise (TOL): only the acting objects' nodes see the action
        assert rel_err(z_rot, z @ rho.T) > 0.01
        assert rel_err(model.transition(zz @ rho.T, rotate_action(a, 1)), out @ rho.T) > 0.01


def test_dense_layers_fail_the_regular_roll_test():
    """The same roll test on a dense MLP of the encoder's shape fails: the test can fail."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        dense = plain_mlp(7 * 4, 24, 2 * 4).double()
    m = rng_tensor(11, 4, K, 5, 5)
    f = lambda x: dense(orbit_stack(x).flatten(-2)).view(4, K, 2, 4)  # noqa: E731
    assert rel_err(f(torch.rot90(m, 1, (-2, -1))), torch.roll(f(m), 1, -1)) > 0.05
    # and its S5 equivariance holds (weights are shared over objects), as for C-SWM
    perm = ALL_PERMS[37]
    assert rel_err(f(m[:, perm]), f(m)[:, perm]) < TOL


def test_none_transition_s5_equivariant_every_permutation():
    model = make(CSWM, "blocks").double().eval()
    n = 2
    z = rng_tensor(12, n, K, 2) * 2 - 1
    a = torch.tensor([3, 17])
    out = model.transition(z, a)
    perms = [(0, p) for p in range(len(ALL_PERMS))]
    got = model.transition(apply_group(lambda k, p: z[:, p], perms),
                           apply_group(lambda k, p: permute_action(a, p), perms))
    assert rel_err(got, apply_group(lambda k, p: out[:, p], perms)) < TOL


# --------------------------------------------------------------------------------------
# loss and training
# --------------------------------------------------------------------------------------
COLORS = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=torch.float32)
MOVES = [(-1, 0), (0, -1), (1, 0), (0, 1)]  # up, left, down, right (row down, column right)


def render(cells):
    """A Shapes-like 50x50 image: object i is a 10x10 block of colour i at grid cell cells[i]."""
    img = torch.zeros(3, 50, 50)
    for color, (r, c) in zip(COLORS, cells):
        img[:, 10 * r:10 * r + 10, 10 * c:10 * c + 10] = color[:, None, None]
    return img


def batch(seed, b=8):
    """Seeded transitions of a minimal 5-object grid world (moves into walls/objects are no-ops)."""
    rng = np.random.default_rng(seed)
    obs, nxt, actions = [], [], []
    for _ in range(b):
        cells = [divmod(int(i), 5) for i in rng.choice(25, size=K, replace=False)]
        obj, d = int(rng.integers(K)), int(rng.integers(4))
        r, c = cells[obj][0] + MOVES[d][0], cells[obj][1] + MOVES[d][1]
        moved = list(cells)
        if 0 <= r < 5 and 0 <= c < 5 and (r, c) not in cells:
            moved[obj] = (r, c)
        obs.append(render(cells)), nxt.append(render(moved)), actions.append(obj * 4 + d)
    return torch.stack(obs), torch.tensor(actions), torch.stack(nxt)


@pytest.mark.parametrize("cls,env", ALL_METHODS, ids=lambda x: getattr(x, "__name__", x))
def test_loss_finite_and_gradients_reach_all_parameters(cls, env, check_gradients):
    model = make(cls, env).train()
    loss, logs = model.loss(*batch(0), generator=torch.Generator().manual_seed(0))
    assert set(logs) >= {"positive", "negative"} and logs["negative"] > 0
    check_gradients(model, loss)


@pytest.mark.parametrize("cls,env", ALL_METHODS, ids=lambda x: getattr(x, "__name__", x))
def test_adam_steps_lower_loss_on_fixed_batch(cls, env, adam_steps):
    model = make(cls, env).train()
    losses, _ = adam_steps(model, batch(1), 1, 6, lr=3e-3)
    assert losses[-1] < 0.8 * losses[0], losses


# --------------------------------------------------------------------------------------
# the memory-lean Blocks embeddings compute what their plain modules compute
# --------------------------------------------------------------------------------------
def _plain_blocks_embedding(model, obs):
    """The Blocks embedding run module by module (autograd saves every activation)."""
    emb = model.embedding
    if isinstance(model, GridFull):
        maps = emb.net(enn.GeometricTensor(obs, emb.in_type)).tensor
    else:
        maps = emb.cnn(obs)
    return F.avg_pool2d(torch.sigmoid(maps), 50 // emb.mask_size)


def _randomise_batch_norms(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.uniform_(0.5, 2), m.bias.uniform_(-1, 1)
                m.running_mean.uniform_(-1, 1), m.running_var.uniform_(0.5, 2)


@pytest.mark.parametrize("cls", [GridSEN, CSWM, GridFull])
@pytest.mark.parametrize("train_mode", [True, False])
@pytest.mark.parametrize("hidden", [None, 12])   # 12 batch-norm columns: ATen's kernels
def test_blocks_embedding_matches_plain_modules(cls, train_mode, hidden):
    """Values, gradients of every parameter and BatchNorm running statistics (updated once);
    few normalised columns (the wide-row reductions) and many (ATen's batch norm)."""
    wide = {} if hidden is None else {"embedding_hidden": hidden}
    fused = make(cls, "blocks", seed=3, **wide).double()
    plain = make(cls, "blocks", seed=3, **wide).double()
    _randomise_batch_norms(fused)
    plain.load_state_dict(fused.state_dict())
    fused.train(train_mode), plain.train(train_mode)
    obs = rng_tensor(13, 3, 3, 50, 50)
    out, ref = fused.embed(obs), _plain_blocks_embedding(plain, obs)
    assert rel_err(out, ref) < 1e-12
    weights = rng_tensor(14, *out.shape)
    (out * weights).sum().backward()
    (ref * weights).sum().backward()
    grads = dict(plain.embedding.named_parameters())
    for name, p in fused.embedding.named_parameters():
        expected = grads[name].grad
        if train_mode and name.endswith("bias") and float(expected.abs().max()) < 1e-10:
            continue  # a conv bias right before a training-mode batch norm: zero up to rounding
        assert (p.grad - expected).abs().max() <= 1e-10 * expected.abs().max(), name
    buffers = dict(plain.embedding.named_buffers())
    for name, b in fused.embedding.named_buffers():
        assert torch.allclose(b.double(), buffers[name].double(), rtol=0, atol=1e-12), name


@pytest.mark.parametrize("cls", [GridSEN, GridFull])
def test_blocks_embedding_saves_one_activation_per_layer_less(cls):
    """The memory trick: backward keeps the conv outputs only, not the ReLU outputs too."""
    def saved_bytes(embed):
        storages = {}
        def pack(t):
            storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
            return t
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            embed(rng_tensor(15, 2, 3, 50, 50, dtype=torch.float32))
        return sum(storages.values())
    model = make(cls, "blocks", embedding_hidden=8).train()
    channels = 8 * (4 if cls is GridFull else 1)                          # regular fields: 4 each
    activation = 2 * channels * 50 * 50 * 4                               # one float [2, C, 50, 50]
    plain = saved_bytes(lambda obs: _plain_blocks_embedding(model, obs))
    assert plain - saved_bytes(model.embed) >= 0.99 * 3 * activation


def test_blocks_training_step_is_deterministic():
    grads = []
    for _ in range(2):
        model = make(GridSEN, "blocks", seed=4).train()
        loss, _ = model.loss(*batch(5), generator=torch.Generator().manual_seed(5))
        loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert torch.equal(grads[0], grads[1])


# --------------------------------------------------------------------------------------
# interface, validation, state dict, parameter budget
# --------------------------------------------------------------------------------------
def test_registration_and_describe():
    from benchmark.registry import _METHODS
    assert _METHODS["sen"]["shapes"] is GridSEN and _METHODS["sen"]["blocks"] is GridSEN
    assert _METHODS["full"]["blocks"] is GridFull and _METHODS["none"]["blocks"] is CSWM
    assert _METHODS["none"]["shapes"] is CSWM and _METHODS["cnn"]["shapes"] is ShapesCNN
    for cls, env in ALL_METHODS:
        info = make(cls, env).describe()
        assert {"group", "embedding", "latent", "action", "latent_shape"} <= set(info)


@pytest.mark.parametrize("cls", [GridSEN, CSWM, GridFull])
def test_bad_inputs_raise_value_error(cls):
    with pytest.raises(ValueError):
        cls("reacher")
    with pytest.raises(ValueError):
        cls("shapes", encoder_hidden=0)
    model = make(cls, "shapes")
    obs, a, nxt = batch(2, b=4)
    with pytest.raises(ValueError):
        model.embed(obs[:, :, :40])
    with pytest.raises(ValueError):
        model.loss(obs, torch.tensor([0, 1, 2, 20]), nxt)              # object 5 does not exist
    with pytest.raises(ValueError):
        model.loss(obs, a.float(), nxt)
    with pytest.raises(ValueError):
        model.loss(obs, a[:3], nxt)
    with pytest.raises(ValueError):
        model.act_on_embedding(model.embed(obs), torch.tensor([0.5, 1, 2, 3]))


@pytest.mark.parametrize("cls", [GridSEN, GridFull])
def test_state_dict_independent_of_mode_and_reloads_in_eval(cls):
    src = make(cls, "blocks", seed=1)
    train_keys = set(src.state_dict())
    src.eval()
    assert set(src.state_dict()) == train_keys
    assert not any(k.endswith((".matrix", ".filter", ".expanded_bias")) for k in train_keys)
    dst = make(cls, "blocks", seed=2).eval()                             # stale eval caches
    dst.load_state_dict(src.state_dict())
    obs, a, _ = batch(3, b=2)
    with torch.no_grad():
        expected = src.transition(src.encode(obs), a)
        assert torch.allclose(dst.transition(dst.encode(obs), a), expected)


def test_parameter_counts_at_paper_widths_within_25_percent():
    """2D Shapes at the paper's widths (constructor defaults): parity within 25%. (3D Blocks at
    the paper's widths are the paper code's networks, whose None is 1.33x SEN's: their exact
    counts are checked in tests/test_paper_profile.py.)"""
    with torch.random.fork_rng():
        counts = {cls.__name__: count_parameters(cls("shapes"))
                  for cls in (ShapesCNN, GridSEN, GridFull)}
    assert max(counts.values()) <= 1.25 * min(counts.values()), counts
    assert counts["ShapesCNN"] > 1_000_000                              # the paper's widths
    assert NUM_OBJECTS == K


def test_mask_size_is_a_hyper_parameter_of_blocks_only():
    for side in (5, 25):
        model = make(GridSEN, "blocks", mask_size=side)
        v = model.embed(rng_tensor(16, 2, 3, 50, 50, dtype=torch.float32))
        assert v.shape == (2, K, side, side)
        assert model.encode(rng_tensor(16, 2, 3, 50, 50, dtype=torch.float32)).shape == (2, K, 2, 4)
    with pytest.raises(ValueError, match="mask_size must divide"):
        make(CSWM, "blocks", mask_size=7)
    with pytest.raises(ValueError, match="2D Shapes masks"):
        make(GridSEN, "shapes", mask_size=10)
