"""C-SWM (Kipf et al. 2020): the non-equivariant world model of the grid worlds.

Registered as ``none`` for 2D Shapes and 3D Blocks (the paper's "None" row) and as ``cnn``
for 2D Shapes (the paper's "CNN" row: the same C-SWM model under its Table 2 name).

* S: the same unconstrained CNN as SEN (:func:`benchmark.models.grid_embeddings.make_grid_embedding`:
  C-SWM's 'small' CNN for Shapes, SEN's cubes CNN with pooled 10x10 masks for Blocks),
  so ``V`` (five square object masks) and its C4 action are shared with SEN and EE(S)
  compares like with like.
* E: C-SWM's object MLP (m*m -> hidden -> hidden -> latent_dim, LayerNorm), shared by objects.
* T: C-SWM's GNN with plain edge/node MLPs; the action is the 4-dim direction one-hot on the
  acting object's node (zeros elsewhere); delta prediction.

Default widths are C-SWM's (hidden 512, embedding_dim 2, CNN hidden 512 // 16 = 32).
"""
from __future__ import annotations

from typing import Any

import torch

from benchmark.models.c4 import NUM_DIRECTIONS, action_one_hot
from benchmark.models.checks import check_positive_int
from benchmark.models.gnn import ObjectGNN, plain_mlp
from benchmark.models.grid import GridWorldModel
from benchmark.models.grid_embeddings import GRID_ENVS, make_grid_embedding
from benchmark.registry import register_method

__all__ = ["CSWM", "ShapesCNN"]


class _ObjectMLPEncoder(torch.nn.Module):
    """C-SWM's EncoderMLP: each object's mask flattened, MLP shared over objects."""

    def __init__(self, in_dim: int, hidden: int, latent_dim: int):
        super().__init__()
        self.mlp = plain_mlp(in_dim, hidden, latent_dim)

    def forward(self, masks: torch.Tensor) -> torch.Tensor:
        return self.mlp(masks.flatten(2))


@register_method("none", envs=GRID_ENVS)
class CSWM(GridWorldModel):
    """C-SWM world model (CNN masks, object MLP encoder, plain GNN); latent ``[B, 5, latent_dim]``.
    """

    def __init__(self, env: str, *, embedding_hidden: int = 32, encoder_hidden: int = 512,
                 transition_hidden: int = 512, latent_dim: int = 2,
                 mask_size: int | None = None, gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        hidden = check_positive_int("transition_hidden", transition_hidden)
        self.embedding = make_grid_embedding(
            env, check_positive_int("embedding_hidden", embedding_hidden), self.num_objects,
            mask_size)
        m = self.embedding.mask_size
        self.encoder = _ObjectMLPEncoder(
            m * m, check_positive_int("encoder_hidden", encoder_hidden), latent_dim)
        self.dynamics = ObjectGNN(
            edge_mlp=plain_mlp(2 * latent_dim, hidden, hidden),
            node_mlp=plain_mlp(latent_dim + NUM_DIRECTIONS + hidden, hidden, latent_dim),
            num_objects=self.num_objects)

    def _action_nodes(self, action: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return action_one_hot(action, self.num_objects, dtype)

    def describe(self) -> dict[str, Any]:
        m = self.embedding.mask_size
        return {
            "group": "none (no symmetry is built in; V carries the C4 action of SEN for EE(S))",
            "embedding": (f"{self.num_objects} object masks [B, {self.num_objects}, {m}, {m}]; "
                          "C4 acts by torch.rot90 on dims -2, -1"),
            "encoder": "C-SWM object MLP (LayerNorm), shared over objects",
            "latent": f"[B, {self.num_objects}, {self.latent_dim}], no group action",
            "action": "direction one-hot (4) on the acting object's node, zeros elsewhere",
            "transition": "C-SWM GNN (plain edge/node MLPs), delta prediction",
            "latent_shape": (self.num_objects, self.latent_dim),
        }


@register_method("cnn", envs=("shapes",))
class ShapesCNN(CSWM):
    """The paper's "CNN" baseline on 2D Shapes: C-SWM exactly as :class:`CSWM`."""
