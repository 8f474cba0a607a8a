"""The committed dataset digests of each profile: ``digests/<env>.json`` (default profile,
written by the DVC generate stages) and ``digests/paper/<env>.json`` (paper profile,
generated once and committed; docs/datasets.md), each mapping split -> SHA-256."""
from __future__ import annotations

import json
from pathlib import Path

from generators.h5format import DatasetError

PROFILE_DIRS = {"default": "", "paper": "paper"}


def digests_file(env: str, profile: str, root: str | Path = "digests") -> Path:
    if profile not in PROFILE_DIRS:
        raise ValueError(f"unknown profile {profile!r}; choose {', '.join(PROFILE_DIRS)}")
    return Path(root) / PROFILE_DIRS[profile] / f"{env}.json"


def committed_digests(env: str, profile: str, root: str | Path = "digests") -> dict[str, str]:
    path = digests_file(env, profile, root)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"{path}: no committed digests of {env!r} for the {profile} "
                           "profile") from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: malformed JSON ({exc.msg})") from None


def check_committed_digest(path: str | Path, env: str, split: str, digest: str, profile: str,
                           root: str | Path = "digests") -> str:
    """Compare a file's (recomputed) digest with the committed one of its env and split;
    returns where the reference came from, raises DatasetError naming both on a mismatch."""
    source = digests_file(env, profile, root)
    expected = committed_digests(env, profile, root).get(split)
    if expected is None:
        raise DatasetError(f"{path}: {source} has no split {split!r}")
    if digest != expected:
        raise DatasetError(f"{path}: digest {digest[:16]}... differs from the committed "
                           f"{profile}-profile digest {expected[:16]}... ({source}[{split}]); "
                           "regenerate it with `python -m generators.stage --profile "
                           f"{profile}` or fetch it again")
    return f"{source}[{split}]"
