"""The contrastive hinge loss of C-SWM (Kipf et al. 2020), SPEC section 4.

    d(x, y)   = 1 / (2 sigma^2) * ||x - y||^2       (mean over objects for per-object latents)
    positive  = d(z + T(z, a), z')                   (``z_pred`` already holds z + T(z, a))
    negative  = max(0, gamma - d(z~, z'))            (z~: encoding of another sample of the batch)
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
    negative = torch.clamp(gamma - energy(z[neg], z_next, sigma), min=0.0)
    loss = positive.mean() + negative.mean()
    return loss, {"positive": float(positive.mean().detach()),
                  "negative": float(negative.mean().detach())}
