"""The contrastive hinge loss (SPEC section 4) on hand-made latents, and the learning-rate schedule."""
from __future__ import annotations

import math

import pytest
import torch

from benchmark.losses import contrastive_loss, energy, negative_indices, world_model_loss
from benchmark.registry import WorldModel
from benchmark.train import learning_rate


def test_energy_is_half_squared_distance_over_sigma_squared():
    x = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    y = torch.tensor([[3.0, 4.0], [1.0, 2.0]])
    # sigma = 0.5: 1 / (2 * 0.25) * |x - y|^2 = 2 |x - y|^2
    assert energy(x, y, 0.5).tolist() == [50.0, 0.0]
    assert energy(x, y, 1.0).tolist() == [12.5, 0.0]


def test_energy_of_object_latents_is_the_mean_over_objects():
    x = torch.zeros(1, 2, 3)
    y = torch.tensor([[[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]])  # squared distances 1 and 4
    assert energy(x, y, 1.0).item() == pytest.approx((0.5 + 2.0) / 2)


def test_contrastive_loss_by_hand():
    z = torch.tensor([[0.0], [0.1], [3.0]])
    z_next = torch.tensor([[1.0], [0.1], [3.0]])
    z_pred = torch.tensor([[0.5], [0.1], [3.0]])
    neg = torch.tensor([1, 0, 0])      # sample i contrasted with the state of sample neg[i]
    loss, logs = contrastive_loss(z, z_pred, z_next, neg, gamma=1.0, sigma=0.5)
    positive = [2 * 0.25, 0.0, 0.0]
    # d(z_i, z_neg[i]) = 2 * (0.1)^2 = 0.02, 0.02, 2 * 9 = 18
    negative = [1 - 0.02, 1 - 0.02, 0.0]
    assert logs["positive"] == pytest.approx(sum(positive) / 3)
    assert logs["negative"] == pytest.approx(sum(negative) / 3)
    assert loss.item() == pytest.approx((sum(positive) + sum(negative)) / 3)


def test_perfect_separated_model_has_zero_loss():
    z = torch.arange(8, dtype=torch.float32).view(4, 2) * 10
    neg = torch.tensor([1, 2, 3, 0])
    loss, _ = contrastive_loss(z, z + 1, z + 1, neg)
    assert loss.item() == 0.0


def test_negative_indices_are_a_seeded_permutation():
    a = negative_indices(10, torch.Generator().manual_seed(3))
    b = negative_indices(10, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and sorted(a.tolist()) == list(range(10))


class _Shift(WorldModel):
    """z = mean pixel value per object slot; T adds the action."""

    def __init__(self, per_object: bool):
        super().__init__("shapes")
        self.per_object_latents = per_object

    def embed(self, obs):
        return obs.mean(dim=(-2, -1)).unsqueeze(-1)     # [B, C, 1]: C "objects"

    def encode_embedding(self, v):
        return v

    def transition(self, z, action):
        return z + action.view(-1, 1, 1)


def test_world_model_loss_flattens_unless_latents_are_objects():
    obs = torch.zeros(3, 2, 4, 4)
    next_obs = torch.ones(3, 2, 4, 4)
    action = torch.zeros(3)                              # predicts no change: error 1 per slot
    gen = torch.Generator().manual_seed(0)
    flat, _ = world_model_loss(_Shift(False), obs, action, next_obs, gen)
    gen = torch.Generator().manual_seed(0)
    objects, _ = world_model_loss(_Shift(True), obs, action, next_obs, gen)
    # every z is 0, so the hinge term is gamma = 1; positive: 2 * |(1, 1)|^2 = 4 vs mean 2
    assert flat.item() == pytest.approx(4.0 + 1.0)
    assert objects.item() == pytest.approx(2.0 + 1.0)
    with pytest.raises(ValueError, match="differ"):
        world_model_loss(_Shift(False), obs, action, next_obs[:2], gen)


def test_learning_rate_schedules():
    const = {"lr": 0.01, "lr_schedule": "constant"}
    cos = {"lr": 0.01, "lr_schedule": "cosine"}
    assert [learning_rate(const, s, 10) for s in (0, 5, 9)] == [0.01] * 3
    assert learning_rate(cos, 0, 10) == pytest.approx(0.01)
    assert learning_rate(cos, 5, 10) == pytest.approx(0.005)
    assert learning_rate(cos, 9, 10) == pytest.approx(0.005 * (1 + math.cos(0.9 * math.pi)))
    steps = [learning_rate(cos, s, 100) for s in range(100)]
    assert all(a > b for a, b in zip(steps, steps[1:]))
    with pytest.raises(ValueError, match="lr_schedule"):
        learning_rate({"lr": 0.01, "lr_schedule": "step"}, 0, 10)
