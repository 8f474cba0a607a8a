"""A worked example of a user environment (and a method for it), registered from outside
the package: ``dots``, one white dot on a 16x16 torus, moved one pixel up, left, down or
right; its symmetry is C4 (quarter turns of the image about its centre).

Everything the suite needs to know about an environment is one :class:`EnvSpec`
(docs/adding-an-environment.md): the generator, the reader checks, the models' input
checks, the evaluation's metrics, the tables and the CLI read it from the registry.

    senbench --load examples/dot_world.py generate --env dots --split train \\
        --episodes 200 --steps 5 --seed 1 --out data/dots/train.h5
    senbench --load examples/dot_world.py train --env dots --method pixel_mlp \\
        --data data/dots/train.h5 --seed 0 --out runs/dots-train-pixel_mlp/seed0
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from benchmark.models.checks import check_action, check_obs
from benchmark.registry import WorldModel, register_method
from generators.registry import ActionSpace, EnvSpec, Symmetry, check_option_keys, register_env

SIZE = 16
MOVES = np.array([[-1, 0], [0, -1], [1, 0], [0, 1]])   # up, left, down, right (CCW order)
TWIN_G = 1                                             # one quarter turn CCW per file


# --- the environment: dynamics, symmetry, rendering -------------------------------------------
def step(state: np.ndarray, action: int) -> np.ndarray:
    """Move the dot one pixel; the image wraps around (a torus)."""
    return (state + MOVES[int(action)]) % SIZE


def twin_state(state: np.ndarray, g: int) -> np.ndarray:
    """``g`` quarter turns CCW about the image centre: ``(r, c) -> (S-1-c, r)``."""
    out = np.asarray(state, dtype=np.int64)
    for _ in range(int(g) % 4):
        out = np.stack([SIZE - 1 - out[..., 1], out[..., 0]], axis=-1)
    return out


def twin_action(action: np.ndarray, g: int) -> np.ndarray:
    """Directions turn with the world: ``d -> (d + g) % 4``."""
    return (np.asarray(action, dtype=np.int64) + int(g)) % 4


def render(state: np.ndarray) -> np.ndarray:
    image = np.zeros((SIZE, SIZE, 1), dtype=np.uint8)
    image[state[0], state[1], 0] = 255
    return image


def make_config(actions: str | None, options: dict) -> dict:
    if actions not in (None, "all"):
        raise ValueError(f"dots has one action set, 'all'; got {actions!r}")
    check_option_keys("dots", options, ())
    return {"size": SIZE, "actions": "all"}


def episode(seed: np.random.SeedSequence, steps: int, config: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    states = [rng.integers(0, SIZE, size=2)]
    actions = rng.integers(0, 4, size=steps).astype(np.int64)
    for a in actions:
        states.append(step(states[-1], a))
    states = np.stack(states).astype(np.int64)
    twins = twin_state(states, TWIN_G)
    return {"obs": np.stack([render(s) for s in states]), "action": actions,
            "state/position": states,
            "twin/obs": np.stack([render(s) for s in twins]),
            "twin/action": twin_action(actions, TWIN_G), "twin/state/position": twins,
            "twin/g": np.int64(TWIN_G)}


register_env(EnvSpec(
    name="dots", env_id="example/Dots-v1", version="1", frame_shape=(SIZE, SIZE, 1),
    frame_stack=1, action=ActionSpace("discrete", n=4),
    symmetry=Symmetry(group="C4", element="int64 power of the 90-degree CCW rotation",
                      act_on_state=twin_state, act_on_action=twin_action),
    make_config=make_config, episode=episode,
    default_splits={"train": {"episodes": 200, "steps": 5, "seed": 1},
                    "eval": {"episodes": 100, "steps": 10, "seed": 2}},
    paper_batch_size=64,
))


# --- a method for it: pixels as V, an MLP encoder and transition -------------------------------
@register_method("pixel_mlp", envs=("dots",))
class PixelMLP(WorldModel):
    """S = identity (V is the image, C4 rotates it), E and T plain MLPs (delta prediction)."""

    def __init__(self, env: str = "dots", *, hidden: int = 64, latent_dim: int = 4,
                 gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(SIZE * SIZE, hidden), nn.ReLU(),
                                     nn.Linear(hidden, latent_dim))
        self.delta = nn.Sequential(nn.Linear(latent_dim + 4, hidden), nn.ReLU(),
                                   nn.Linear(hidden, latent_dim))

    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return check_obs(obs, self.spec)

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        return self.encoder(v)

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        action = check_action(action, z.shape[0], self.spec.action)
        a = nn.functional.one_hot(action.long(), 4).to(z.dtype)
        return z + self.delta(torch.cat([z, a], dim=-1))

    def act_on_embedding(self, v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        g = torch.as_tensor(g, device=v.device).long().reshape(-1).expand(v.shape[0])
        return torch.stack([torch.rot90(x, int(k), dims=(-2, -1)) for x, k in zip(v, g)])
