"""The contrastive hinge loss of C-SWM (Kipf et al. 2020), SPEC section 4.

    d(x, y)   = 1 / (2 sigma^2) * ||x - y||^2       (mean over objects for per-object latents)
    positive  = d(z + T(z, a), z')                   (``z_pred`` already holds z + T(z, a))
    negative  = max(0, gamma - d(z, z~))             (z~: encoding of another sample of the batch)
    loss      = mean(positive) + mean(negative)
"""
from __future__ import annotations

import torch


def energy(x: torch.Tensor, y: torch.Tensor, sigma: float = 0.5) -> torch.Tensor:
    """Per-sample energy; latents are [B, D] or per-object [B, K, D] (mean over the K objects)."""
    diff = (x - y).flatten(2) if x.dim() > 2 else (x - y).unsqueeze(1)
    return diff.pow(2).sum(-1).mean(-1) / (2.0 * sigma ** 2)


def negative_indices(batch_size: int, generator: torch.Generator | None,
                     device: torch.device | str = "cpu") -> torch.Tensor:
    """A random permutation of the batch: sample i is contrasted with sample perm[i]."""
    return torch.randperm(batch_size, generator=generator).to(device)


def contrastive_loss(z: torch.Tensor, z_pred: torch.Tensor, z_next: torch.Tensor,
                     neg: torch.Tensor, gamma: float = 1.0, sigma: float = 0.5,
                     ) -> tuple[torch.Tensor, dict[str, float]]:
    """C-SWM hinge loss with one negative per sample (``neg`` from :func:`negative_indices`)."""
    positive = energy(z_pred, z_next, sigma)
    negative = torch.clamp(gamma - energy(z, z[neg], sigma), min=0.0)
    loss = positive.mean() + negative.mean()
    return loss, {"positive": float(positive.mean().detach()),
                  "negative": float(negative.mean().detach())}


def world_model_loss(model, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor,
                     generator: torch.Generator | None = None,
                     ) -> tuple[torch.Tensor, dict[str, float]]:
    """The contrastive loss of a world model (``model.encode``, ``model.transition``) on a batch.

    ``obs`` and ``next_obs`` are encoded by separate calls, as in C-SWM's code (batch-norm
    statistics per half).  Latents ``[B, K, ...]`` count as K objects when
    ``model.per_object_latents`` is true (the energy is the mean over objects); otherwise
    they are flattened, so a 3x3 rotation latent is one 9-vector, not 3 objects.
    """
    if obs.shape != next_obs.shape:
        raise ValueError(f"obs {tuple(obs.shape)} and next_obs {tuple(next_obs.shape)} differ")
    z, z_next = model.encode(obs), model.encode(next_obs)
    z_pred = model.transition(z, action)
    if not model.per_object_latents:
        z, z_pred, z_next = z.flatten(1), z_pred.flatten(1), z_next.flatten(1)
    neg = negative_indices(z.shape[0], generator, z.device)
    return contrastive_loss(z, z_pred, z_next, neg, model.gamma, model.sigma)
