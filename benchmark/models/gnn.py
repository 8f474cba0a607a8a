"""C-SWM's object graph network and MLP, generic in the feature type (plain vectors or
regular C4 fields)."""
from __future__ import annotations

import torch
from torch import nn

from benchmark.models.checks import check_positive_int


def plain_mlp(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """C-SWM's (non-equivariant) MLP: Linear, ReLU, Linear, LayerNorm, ReLU, Linear."""
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim), nn.ReLU(),
        nn.Linear(hidden_dim, hidden_dim), nn.LayerNorm(hidden_dim), nn.ReLU(),
        nn.Linear(hidden_dim, out_dim))



class ObjectGNN(nn.Module):
    """C-SWM's fully connected graph network over object slots; returns the per-node delta.

    Generic in the feature type: node features are ``[B, K, F, *fiber]`` and every MLP maps
    the feature axis (dim 2) of ``[N..., F, *fiber]``.  Edge ``(i, j)``, ``i != j``, gets
    ``edge_mlp(cat(z_i, z_j))``; node ``i`` gets ``node_mlp(cat(z_i, a_i, sum_j edge(i, j)))``.
    With shared weights across objects the network is S_K-equivariant; with C4-equivariant
    MLPs on regular fields it is also C4-equivariant.
    """

    def __init__(self, edge_mlp: nn.Module, node_mlp: nn.Module, num_objects: int):
        super().__init__()
        if check_positive_int("num_objects", num_objects) < 2:
            raise ValueError(f"ObjectGNN needs at least 2 objects, got {num_objects}")
        self.edge_mlp, self.node_mlp, self.num_objects = edge_mlp, node_mlp, num_objects
        pairs = [(i, j) for i in range(num_objects) for j in range(num_objects) if i != j]
        self.register_buffer("src", torch.tensor([p[0] for p in pairs]), persistent=False)
        self.register_buffer("dst", torch.tensor([p[1] for p in pairs]), persistent=False)

    def forward(self, nodes: torch.Tensor, action_nodes: torch.Tensor) -> torch.Tensor:
        b, k = nodes.shape[:2]
        if k != self.num_objects:
            raise ValueError(f"expected {self.num_objects} object slots, got {k}")
        edges = self.edge_mlp(torch.cat([nodes[:, self.src], nodes[:, self.dst]], dim=2))
        agg = edges.view(b, k, k - 1, *edges.shape[2:]).sum(2)  # edges are grouped by source
        return self.node_mlp(torch.cat([nodes, action_nodes, agg], dim=2))

