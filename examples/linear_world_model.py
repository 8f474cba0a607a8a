"""A worked example of a user method: a CNN encoder with a *linear* action-conditioned
transition, registered as ``linear`` for 2D Shapes and 3D Blocks.

Use it in the pipeline by listing this file under ``plugins`` in params.yaml and adding
rows to ``runs`` (see docs/adding-a-method.md), or directly:

    senbench --load examples/linear_world_model.py train --env shapes --method linear \\
        --data data/shapes/limited.h5 --seed 0 --out runs/shapes-limited-linear/seed0
"""
from __future__ import annotations

import torch
from torch import nn

from benchmark.registry import WorldModel, register_method


@register_method("linear", envs=("shapes", "blocks"))
class LinearWorldModel(WorldModel):
    """z = CNN(obs) in R^d; z' = z + W [z, one_hot(a)] (delta prediction).

    Trained with the base class's loss: C-SWM's contrastive hinge loss with ``gamma``, ``sigma``.
    """

    def __init__(self, env: str, *, hidden: int = 32, latent_dim: int = 16,
                 gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env)
        self.gamma, self.sigma, self.n_actions = gamma, sigma, 20
        self.embedding = nn.Sequential(
            nn.Conv2d(3, hidden, 10, stride=10), nn.ReLU(),   # one cell of the 5x5 grid a pixel
            nn.Conv2d(hidden, hidden, 1), nn.ReLU())
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(hidden * 25, latent_dim))
        self.delta = nn.Linear(latent_dim + self.n_actions, latent_dim)

    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return self.embedding(obs)                            # [B, hidden, 5, 5]

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        return self.encoder(v)

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        a = nn.functional.one_hot(action.long(), self.n_actions).to(z.dtype)
        return z + self.delta(torch.cat([z, a], dim=-1))

    def act_on_embedding(self, v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        # the same assumption as the grid baselines: C4 rotates the 5x5 feature map
        return torch.stack([torch.rot90(x, int(k), dims=(-2, -1)) for x, k in zip(v, g)])

    def describe(self) -> dict:
        return {"group": "none (not equivariant)", "embedding": "hidden x 5 x 5 feature map",
                "latent": "R^latent_dim", "action": "one-hot over 20 actions"}
