"""``none``: non-equivariant world models for Reacher and Teapot (CNN encoder + MLP transition).

Both keep SEN's embedding network and its declared group action on ``V`` so that EE(S) and DIE
compare like with like, but nothing in the model uses the symmetry:

* Reacher: SEN's dilated ``S`` (8 channels on a 31 x 31 grid, declared 8 trivial D4 fields
  as the paper's, for EE(S)), a plain CNN encoder with ``E``'s geometry (3 x 3 convs, max
  pooling, 3 1 x 1 convs) to a ``latent_dim``-vector, and an MLP transition
  (Linear-ReLU-Linear-LayerNorm-ReLU-Linear, as the original ``Transition``) that predicts
  the delta.  Defaults are the paper's (``scripts/reacher.sl``): encoder 512 wide, latent 4
  numbers, transition 512 wide.  The default profile departs (params.yaml, docs/models.md):
  narrower encoder, ``latent_dim`` 32 (SEN's latent size, so that rankings compare latents
  of one dimension).
* Teapot: SEN's CNN trunk to 9 unconstrained numbers viewed as a 3 x 3 matrix ``V``
  (``rho_V(g) V = g V`` still defines the EE(S) test), ``E`` = identity, and an MLP
  transition on ``[vec z, vec a]`` that predicts the delta.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from benchmark.hparams import widths
from benchmark.models import reacher as _reacher
from benchmark.models import teapot as _teapot
from benchmark.models.batchnorm import ChannelsLastSequential
from benchmark.models.checks import check_action, check_obs
from benchmark.registry import WorldModel, register_method


def plain_encoder(in_channels: int = 8, hidden: Sequence[int] = (512,) * 5,
                  out_dim: int = 32) -> ChannelsLastSequential:
    """Plain CNN with the steerable encoder's geometry: [B, C, 31, 31] -> [B, out_dim].

    Its convolutions run on channels_last memory (:class:`ChannelsLastSequential`, the state
    dict of an ``nn.Sequential``): S's output is contiguous, and mkldnn's convolutions
    measured 1.14x (512 wide, the paper's) to 1.47x faster on this layout on the CPU
    (docs/performance.md s. 5).
    """
    h = widths(hidden, 5, "encoder_hidden")

    def block(a: int, b: int, k: int, **kw: int) -> list[nn.Module]:
        return [nn.Conv2d(a, b, k, **kw), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]

    net = ChannelsLastSequential(
        *block(in_channels, h[0], 3, stride=2, padding=1), nn.MaxPool2d(4),
        *block(h[0], h[1], 3, padding=1), nn.MaxPool2d(2),
        *block(h[1], h[2], 3, padding=1), nn.AdaptiveMaxPool2d(1),
        *block(h[2], h[3], 1), *block(h[3], h[4], 1),
        nn.Conv2d(h[4], out_dim, 1), nn.Flatten(),
    )
    _reacher.xavier_init(net)
    return net


def mlp_transition(latent_dim: int, action_dim: int, hidden: Sequence[int]) -> nn.Sequential:
    """Linear-ReLU-Linear-LayerNorm-ReLU-Linear on ``[z, a]``, returning the delta."""
    h0, h1 = widths(hidden, 2, "transition_hidden")
    return nn.Sequential(nn.Linear(latent_dim + action_dim, h0), nn.ReLU(inplace=True),
                         nn.Linear(h0, h1), nn.LayerNorm(h1), nn.ReLU(inplace=True),
                         nn.Linear(h1, latent_dim))


@register_method("none", envs=("reacher",))
class ReacherNone(WorldModel):
    """Non-equivariant Reacher model: dilated CNN ``S`` + CNN encoder + MLP transition (delta).

    Hyper-parameters: ``embedding_hidden``, ``embedding_channels``, ``embedding_repr`` (as ``sen``;
    only used to define ``rho_V``), ``encoder_hidden`` (5 channel widths), ``latent_dim``,
    ``transition_hidden`` (2 widths), ``gamma``, ``sigma``.
    """

    def __init__(self, env: str = "reacher", *, embedding_hidden: Sequence[int] = (32,) * 6,
                 embedding_channels: int = 8, embedding_repr: str = "trivial",
                 embedding_kernel: int = 3, encoder_hidden: Sequence[int] = (512,) * 5,
                 latent_dim: int = 4,
                 transition_hidden: Sequence[int] = (512, 512),
                 gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be positive, got {latent_dim}")
        gspace = _reacher.dihedral_gspace(4)
        self.embedding_type = _reacher.embedding_type(gspace, embedding_channels, embedding_repr)
        self.embedding_repr = embedding_repr
        self.embedding = _reacher.dilated_embedding(_reacher.OBS_CHANNELS, embedding_hidden,
                                                    embedding_channels, embedding_kernel)
        self.encoder = plain_encoder(embedding_channels, encoder_hidden, latent_dim)
        self.transition_net = mlp_transition(latent_dim, _reacher.ACTION_DIM, transition_hidden)

    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return self.embedding(_reacher.check_reacher_obs(obs, self.spec))

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        return self.encoder(v)

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        action = check_action(action, z.shape[0], self.spec.action, "Reacher actions")
        return z + self.transition_net(torch.cat([z, action], dim=1))

    def act_on_embedding(self, v: torch.Tensor, g: torch.Tensor | int) -> torch.Tensor:
        return _reacher.rotate_fields(v, g, self.embedding_type)

    def describe(self) -> dict[str, Any]:
        return {
            "group": "none used by the model (EE(S) and DIE use D4's quarter turns)",
            "embedding": f"{self.embedding_type.size}-channel map on a 31x31 grid, declared "
                         f"{len(self.embedding_type)} {self.embedding_repr} D4 field(s) for EE(S)",
            "latent": f"unconstrained {self.transition_net[-1].out_features}-vector",
            "action": "raw torques [2]",
            "transition": "MLP on [z, a], delta prediction",
        }


@register_method("none", envs=("teapot",))
class TeapotNone(WorldModel):
    """Non-equivariant Teapot model: CNN trunk -> 3x3 matrix (unconstrained) + MLP transition.

    Hyper-parameters: ``conv_channels``, ``fc_hidden`` (as ``sen``), ``transition_hidden``
    (2 widths of the MLP), ``gamma``, ``sigma``.
    """

    def __init__(self, env: str = "teapot", *, conv_channels: Sequence[int] = (32, 32, 64, 64),
                 fc_hidden: Sequence[int] = (256, 256),
                 transition_hidden: Sequence[int] = (256, 256),
                 gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        self.embedding = _teapot.ConvTrunk(9, conv_channels, fc_hidden)
        self.transition_net = mlp_transition(9, 9, transition_hidden)

    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return self.embedding(check_obs(obs, self.spec)).view(-1, 3, 3)

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        return v

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        action = check_action(action, z.shape[0], self.spec.action, "Teapot actions")
        delta = self.transition_net(torch.cat([z.flatten(1), action.flatten(1)], dim=1))
        return z + delta.view_as(z)

    def act_on_embedding(self, v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return _teapot.check_rotations(g, v.shape[0], "g") @ v

    def describe(self) -> dict[str, Any]:
        return {
            "group": "none used by the model (EE(S) uses SO(3) acting by left multiplication)",
            "embedding": "unconstrained 3x3 matrix V; rho_V(g) V = g V for EE(S)",
            "latent": "the same 3x3 matrix (E = identity)",
            "action": "a in SO(3) flattened to 9 numbers",
            "transition": "MLP on [vec z, vec a], delta prediction",
        }
