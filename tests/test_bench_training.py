"""The training benchmark feeds the models what training feeds them."""
from __future__ import annotations

import torch

from benchmark.bench_training import random_inputs
from generators.reader import EpisodeFile, TransitionBatches, to_float
from generators.registry import env_names, get_env


def test_random_inputs_have_the_layout_of_training_batches(tiny_files):
    """Shape, dtype and memory layout (strides: channels_last for every env) of the
    benchmark's converted observations equal those of a real training batch, and the
    actions have the batch's dtype and shape."""
    for env in env_names():
        batch = next(iter(TransitionBatches(EpisodeFile(tiny_files[env]), 4,
                                            torch.Generator().manual_seed(0))))
        obs, act, nxt = random_inputs(get_env(env), 4, torch.Generator().manual_seed(0))
        for bench, real in ((to_float(obs), batch["obs"]), (to_float(nxt), batch["next_obs"])):
            assert bench.shape == real.shape, env
            assert bench.dtype == real.dtype == torch.float32, env
            assert bench.stride() == real.stride(), env
            assert bench.is_contiguous(memory_format=torch.channels_last), env
        assert act.shape == batch["action"].shape, env
        assert act.dtype == batch["action"].dtype, env
