"""SEN world models for the grid worlds (2D Shapes, 3D Blocks) and their reusable C4 x S5 pieces.

The symmetry group is C4 x S5: C4 rotates the 5x5 grid by multiples of 90 degrees, S5
permutes the five object slots.  The model splits into (SPEC section 3):

* ``S`` (:class:`ShapesEmbedding` / :class:`BlocksEmbedding`): an unconstrained CNN from the
  50x50 RGB image to five object masks, ``V = R^{5 x m x m}`` (2D Shapes: the 5x5 grid,
  ``m = 5``; 3D Blocks: ``m = mask_size``, 10 by default, pooled from full-resolution maps).
  C4 acts on ``V`` by rotating every mask (``torch.rot90`` on the last two dims,
  :func:`rotate_grid`), S5 by permuting the mask channels.  Blocks' full-resolution CNN keeps
  half the activations for backward (:func:`bn_relu_conv`, shared with the Full baseline).
* ``E`` (:class:`C4ObjectEncoder`): a per-object group-convolution MLP.  Each mask is stacked
  along its C4 orbit (:func:`orbit_stack`), which turns it into regular C4 fields; the latent
  of one object is ``latent_dim`` regular fields, shape ``[B, K, latent_dim, 4]``.
* ``T`` (:class:`ObjectGNN` with :class:`RegularMLP` edge and node networks): the C-SWM graph
  network over the K objects with C4-equivariant linear layers; the action is a one-hot of the
  direction in the regular representation, attached to the acting object's node.

Modules by concern: input checks (:mod:`benchmark.models.checks`), C4 actions and the orbit
stack (:mod:`benchmark.models.c4`), escnn layers (:mod:`benchmark.models.escnn_layers`), the
object GNN (:mod:`benchmark.models.gnn`), the fused BN-ReLU-conv
(:mod:`benchmark.models.fused`), the embeddings S (:mod:`benchmark.models.grid_embeddings`);
this module holds E and the world models.

Representation conventions: see :mod:`benchmark.models.c4`.

The C4 linear layers are escnn's ``nn.Linear`` on ``gspaces.no_base_space(cyclic_group(4))``
with regular field types (as fast as a dense ``torch.nn.Linear`` of the same size on CPU).
escnn caches its expanded matrix as a buffer in eval mode only, which makes ``state_dict``
keys depend on the train/eval mode; :class:`benchmark.models.escnn_layers.TransientExpansionMixin`
keeps that cache out of the state dict and refreshes it after ``load_state_dict``.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from benchmark.models.c4 import (C4_ORDER, action_one_hot, orbit_indices, orbit_stack,
                                 roll_regular, rotate_grid)
from benchmark.models.checks import check_action, check_obs, check_positive_int
from benchmark.models.escnn_layers import RegularMLP
from benchmark.models.gnn import ObjectGNN
from benchmark.models.grid_embeddings import (GRID_ENVS, GRID_SIZE, NUM_OBJECTS, check_grid_env,
                                              make_grid_embedding)
from benchmark.registry import WorldModel, register_method


class C4ObjectEncoder(nn.Module):
    """Per-object C4 group-convolution MLP: masks ``[B, K, H, H]`` -> ``[B, K, latent_dim, 4]``.

    The orbit stack turns each mask into one regular field per C4 orbit of the grid; then
    RegularMLP(orbits -> hidden -> hidden -> latent_dim), weights shared by all objects.
    """

    def __init__(self, grid_size: int = GRID_SIZE, hidden: int = 256, latent_dim: int = 2):
        super().__init__()
        self.grid_size = check_positive_int("grid_size", grid_size)
        self.num_orbits = orbit_indices(grid_size).shape[0]
        self.mlp = RegularMLP(self.num_orbits, check_positive_int("encoder_hidden", hidden),
                              check_positive_int("latent_dim", latent_dim))

    def forward(self, masks: torch.Tensor) -> torch.Tensor:
        if masks.dim() != 4 or masks.shape[-2:] != (self.grid_size, self.grid_size):
            raise ValueError(f"C4ObjectEncoder needs masks [B, K, {self.grid_size}, "
                             f"{self.grid_size}], got {tuple(masks.shape)}")
        return self.mlp(orbit_stack(masks))


class GridWorldModel(WorldModel):
    """Shared plumbing of the grid-world models: S, E, a GNN delta transition, per-object latents.

    Subclasses set ``self.embedding`` (S), ``self.encoder`` (E), ``self.dynamics`` (an
    :class:`ObjectGNN`) and :meth:`_action_nodes`.  The embedding space V is the same for
    every grid model (K square masks), so :meth:`act_on_embedding` lives here.
    """

    num_objects: int = NUM_OBJECTS
    per_object_latents = True  # the loss averages the energy over the K objects
    embedding: nn.Module
    encoder: nn.Module
    dynamics: ObjectGNN

    def __init__(self, env: str, *, gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(check_grid_env(env), gamma=gamma, sigma=sigma)

    # --- the world model ---------------------------------------------------------------
    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return self.embedding(check_obs(obs, self.spec))

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        m = self.embedding.mask_size
        if v.dim() != 4 or tuple(v.shape[1:]) != (self.num_objects, m, m):
            raise ValueError(f"grid embeddings must be [B, {self.num_objects}, {m}, {m}], "
                             f"got {tuple(v.shape)}")
        return self.encoder(v)

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        if z.dim() < 3 or z.shape[1] != self.num_objects:
            raise ValueError(f"grid latents must be [B, {self.num_objects}, ...], "
                             f"got {tuple(z.shape)}")
        check_action(action, z.shape[0], self.spec.action, "grid actions")
        return z + self.dynamics(z, self._action_nodes(action, z.dtype))

    def _action_nodes(self, action: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        raise NotImplementedError

    # --- symmetry ----------------------------------------------------------------------
    def act_on_embedding(self, v: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
        """C4 on V: rotate every object mask by ``g * 90`` degrees CCW (``torch.rot90``)."""
        return rotate_grid(v, g)


@register_method("sen", envs=GRID_ENVS)
class GridSEN(GridWorldModel):
    """SEN on the grid worlds: CNN masks (S), C4 group-convolution encoder (E), C4 GNN (T).

    Widths (defaults = the paper's, SEN repo ``scripts/cubes.sl``): ``embedding_hidden``
    channels of S, ``encoder_hidden`` and ``transition_hidden`` regular C4 fields (256
    regular fields = 1024 channels, the parameter count of C-SWM's 512-wide MLPs),
    ``latent_dim`` regular fields per object; ``mask_size`` the side of the 3D Blocks masks
    (default 10; 2D Shapes' masks are the 5x5 grid).
    """

    def __init__(self, env: str, *, embedding_hidden: int = 32, encoder_hidden: int = 256,
                 transition_hidden: int = 256, latent_dim: int = 2,
                 mask_size: int | None = None, gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        hidden = check_positive_int("transition_hidden", transition_hidden)
        self.embedding = self._build_embedding(
            check_positive_int("embedding_hidden", embedding_hidden), mask_size)
        self.encoder = C4ObjectEncoder(self.embedding.mask_size, encoder_hidden, latent_dim)
        self.dynamics = ObjectGNN(
            edge_mlp=RegularMLP(2 * latent_dim, hidden, hidden),
            node_mlp=RegularMLP(latent_dim + 1 + hidden, hidden, latent_dim),
            num_objects=self.num_objects)

    def _build_embedding(self, hidden: int, mask_size: int | None) -> nn.Module:
        return make_grid_embedding(self.env, hidden, self.num_objects, mask_size)

    def _action_nodes(self, action: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        # one regular C4 field per node: e_d on the acting object, zeros elsewhere
        return action_one_hot(action, self.num_objects, dtype).unsqueeze(2)

    def act_on_latent(self, z: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
        """C4 on Z: roll every regular field ``[B, K, latent_dim, 4]`` by ``g``."""
        return roll_regular(z, g)

    def describe(self) -> dict[str, Any]:
        m = self.embedding.mask_size
        return {
            "group": "C4 x S5 (C4: 90-degree rotations of the grid; S5: object slots)",
            "embedding": (f"{self.num_objects} object masks [B, {self.num_objects}, {m}, {m}]; "
                          "C4 rotates each mask (torch.rot90 on dims -2, -1), "
                          "S5 permutes mask channels; S is an unconstrained CNN"),
            "encoder": "C4 group-convolution MLP on the orbit-stacked masks (escnn nn.Linear)",
            "latent": (f"[B, {self.num_objects}, {self.latent_dim}, 4]: {self.latent_dim} regular "
                       "C4 fields per object; g acts as torch.roll(z, g, dims=-1)"),
            "action": ("direction one-hot as one regular C4 field on the acting object's node "
                       "(zeros elsewhere); g maps direction d -> (d + g) % 4"),
            "transition": "GNN with C4-equivariant edge/node MLPs, delta prediction",
            "latent_shape": (self.num_objects, self.latent_dim, C4_ORDER),
        }
