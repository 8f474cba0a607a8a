"""Training: every registered (env, method) lowers its loss; resume is exact; clear errors."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from benchmark.params import ParamsError
from benchmark.registry import UnknownMethodError, methods_for_env
from benchmark.train import CheckpointError, train, train_settings
from generators.h5format import DatasetError
from generators.registry import env_names

# narrow widths so that every pair trains in a second or two on a CPU
TINY = {
    ("shapes", "sen"): dict(embedding_hidden=8, encoder_hidden=16, transition_hidden=16),
    ("blocks", "sen"): dict(embedding_hidden=8, encoder_hidden=16, transition_hidden=16),
    ("shapes", "full"): dict(embedding_hidden=2, encoder_hidden=16, transition_hidden=16),
    ("blocks", "full"): dict(embedding_hidden=2, encoder_hidden=16, transition_hidden=16),
    ("shapes", "none"): dict(embedding_hidden=8, encoder_hidden=16, transition_hidden=16),
    ("blocks", "none"): dict(embedding_hidden=8, encoder_hidden=16, transition_hidden=16),
    ("shapes", "cnn"): dict(embedding_hidden=8, encoder_hidden=16, transition_hidden=16),
    ("reacher", "sen"): dict(embedding_hidden=(4,) * 6, encoder_hidden=(8,) * 5,
                             transition_hidden=(8, 8)),
    ("reacher", "full"): dict(embedding_hidden=(1,) * 6, encoder_hidden=(8,) * 5,
                              transition_hidden=(8, 8)),
    ("reacher", "none"): dict(embedding_hidden=(4,) * 6, encoder_hidden=(16,) * 5,
                              transition_hidden=(16, 16)),
    ("teapot", "sen"): dict(conv_channels=(4, 4, 8, 8), fc_hidden=(16, 16)),
    ("teapot", "none"): dict(conv_channels=(4, 4, 8, 8), fc_hidden=(16, 16),
                             transition_hidden=(16, 16)),
    ("teapot", "hvae"): dict(encoder_channels=(4, 8, 8, 8), feature_dim=16,
                             decoder_hidden=(16, 16), decoder_channels=4),
}
# every registered (env, method): a new env or method without tiny widths fails below
PAIRS = [(env, m) for env in env_names() for m in methods_for_env(env)]


def test_every_pair_has_tiny_widths():
    assert set(PAIRS) == set(TINY), "add tiny widths for new (env, method) pairs"


@pytest.mark.parametrize("old, new", [("embed_hidden", "embedding_hidden"),
                                      ("latent_fields", "latent_dim")])
def test_old_hyper_parameter_names_are_a_clear_error(old, new):
    params = {"train": {"reacher": {"models": {"sen": {old: 4}}}}}
    with pytest.raises(ParamsError, match=f"'{old}' was renamed '{new}'"):
        train_settings(params, "reacher", "sen")


@pytest.mark.parametrize("env, method", PAIRS)
def test_training_lowers_the_loss(tmp_path, tiny_files, env, method):
    settings = dict(epochs=6, batch_size=24 if env != "reacher" else 12, lr=3e-3)
    summary = train(env, method, tiny_files[env], 0, tmp_path / "run", settings,
                    TINY[(env, method)], device="cpu", progress=False)
    losses = [h["loss"] for h in summary["history"]]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0], losses
    assert (tmp_path / "run" / "model.pt").is_file()
    assert (tmp_path / "run" / "dvclive").is_dir()


def _weights(path):
    return torch.load(path, map_location="cpu", weights_only=False)["model"]


def test_resume_after_interrupt_matches_uninterrupted(tmp_path, tiny_files):
    env, method = "shapes", "cnn"
    settings = dict(epochs=3, batch_size=8, lr=1e-3)  # 3 batches an epoch
    whole = train(env, method, tiny_files[env], 1, tmp_path / "a", settings,
                  TINY[(env, method)], device="cpu", progress=False)
    with pytest.raises(KeyboardInterrupt):  # interrupted mid-epoch 2
        train(env, method, tiny_files[env], 1, tmp_path / "b", settings, TINY[(env, method)],
              device="cpu", progress=False, stop_after_batches=4)
    ckpt = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert (ckpt["epoch"], ckpt["batch"]) == (1, 1)
    assert not (tmp_path / "b" / "model.pt").exists()
    summary = train(env, method, tiny_files[env], 1, tmp_path / "b", settings,
                    TINY[(env, method)], device="cpu", progress=False)
    assert len(summary["history"]) == 3
    # the resumed epoch's mean loss counts the batches before the interrupt too
    assert [h["loss"] for h in summary["history"]] == [h["loss"] for h in whole["history"]]
    assert summary["kept_epoch"] == whole["kept_epoch"]
    a, b = _weights(tmp_path / "a" / "model.pt"), _weights(tmp_path / "b" / "model.pt")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # a finished run is not trained again
    again = train(env, method, tiny_files[env], 1, tmp_path / "b", settings, TINY[(env, method)],
                  device="cpu", progress=False)
    assert again["history"] == summary["history"]


def test_different_seeds_differ(tmp_path, tiny_files):
    settings = dict(epochs=1, batch_size=8)
    for seed in (0, 1):
        train("shapes", "cnn", tiny_files["shapes"], seed, tmp_path / str(seed), settings,
              TINY[("shapes", "cnn")], device="cpu", progress=False)
    a, b = _weights(tmp_path / "0" / "model.pt"), _weights(tmp_path / "1" / "model.pt")
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_errors(tmp_path, tiny_files):
    with pytest.raises(UnknownMethodError, match="unknown method"):
        train("shapes", "transformer", tiny_files["shapes"], 0, tmp_path / "x")
    with pytest.raises(UnknownMethodError, match="unknown env"):
        train("pong", "sen", tiny_files["shapes"], 0, tmp_path / "x")
    with pytest.raises(UnknownMethodError, match="not defined"):
        train("reacher", "cnn", tiny_files["reacher"], 0, tmp_path / "x")
    with pytest.raises(DatasetError, match="expected 'blocks'"):
        train("blocks", "sen", tiny_files["shapes"], 0, tmp_path / "x")
    run = tmp_path / "corrupt"
    run.mkdir()
    (run / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt checkpoint"):
        train("shapes", "cnn", tiny_files["shapes"], 0, run, dict(epochs=1, batch_size=8),
              TINY[("shapes", "cnn")], device="cpu", progress=False)


def test_cli_errors_are_one_line(tmp_path, tiny_files):
    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "benchmark.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=300)
        lines = [l for l in proc.stderr.splitlines()
                 if l.strip() and "py3nj" not in l and "warnings.warn" not in l
                 and "pybullet build time" not in l]
        return proc.returncode, lines
    code, lines = run("train", "--env", "shapes", "--method", "gpt", "--data",
                      tiny_files["shapes"], "--seed", 0, "--out", tmp_path / "r")
    assert code == 2 and len(lines) == 1 and "unknown method" in lines[0]
    code, lines = run("train", "--env", "teapot", "--method", "sen", "--data",
                      tiny_files["shapes"], "--seed", 0, "--out", tmp_path / "r")
    assert code == 2 and len(lines) == 1 and "expected 'teapot'" in lines[0]
    bad = tmp_path / "params.yaml"
    bad.write_text("train: [unclosed\n")
    code, lines = run("train", "--env", "shapes", "--method", "cnn", "--data",
                      tiny_files["shapes"], "--seed", 0, "--out", tmp_path / "r", "--params", bad)
    assert code == 2 and len(lines) == 1 and "malformed YAML" in lines[0]
    code, lines = run("describe", "--env", "shapes", "--method", "nope", "--params", bad)
    assert code == 2 and len(lines) == 1


def test_kept_checkpoint_is_the_epoch_of_lowest_training_loss(tmp_path, tiny_files):
    """keep: best_loss (the default, the paper code's): model.pt holds the weights at the end
    of the epoch with the lowest mean training loss, and the run records which epoch."""
    env, method = "shapes", "cnn"
    settings = dict(epochs=5, batch_size=8, lr=0.5)   # a large step: the loss jumps at epoch 5
    best = train(env, method, tiny_files[env], 0, tmp_path / "best", settings,
                 TINY[(env, method)], device="cpu", progress=False)
    losses = [h["loss"] for h in best["history"]]
    kept = min(range(5), key=lambda i: losses[i]) + 1
    assert best["kept_epoch"] == kept and kept < 5, losses
    short = train(env, method, tiny_files[env], 0, tmp_path / "short",
                  dict(settings, epochs=kept, keep="last"), TINY[(env, method)], device="cpu",
                  progress=False)
    assert short["kept_epoch"] == kept
    a, b = _weights(tmp_path / "best" / "model.pt"), _weights(tmp_path / "short" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    last = train(env, method, tiny_files[env], 0, tmp_path / "last", dict(settings, keep="last"),
                 TINY[(env, method)], device="cpu", progress=False)
    assert last["kept_epoch"] == 5
    c = _weights(tmp_path / "last" / "model.pt")
    assert not all(torch.equal(a[k], c[k]) for k in a)
    with pytest.raises(ValueError, match="keep must be"):
        train(env, method, tiny_files[env], 0, tmp_path / "x", dict(settings, keep="first"),
              TINY[(env, method)], device="cpu", progress=False)
    with pytest.raises(ValueError, match="amp must be"):
        train(env, method, tiny_files[env], 0, tmp_path / "x", dict(settings, amp=True),
              TINY[(env, method)], device="cpu", progress=False)


def test_validation_curves_are_logged_and_change_nothing(tmp_path, tiny_files, tiny_grid_files):
    """With eval data, every epoch logs val/ Hits@1 and MRR (dvclive), and the trained weights
    are the same bytes as without it."""
    env, method = "shapes", "cnn"
    settings = dict(epochs=2, batch_size=8, lr=1e-3, val_episodes=4)
    plain = train(env, method, tiny_files[env], 0, tmp_path / "plain", settings,
                  TINY[(env, method)], device="cpu", progress=False)
    val = train(env, method, tiny_files[env], 0, tmp_path / "val", settings, TINY[(env, method)],
                device="cpu", progress=False, eval_data=tiny_grid_files[env])
    a, b = _weights(tmp_path / "plain" / "model.pt"), _weights(tmp_path / "val" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [h["loss"] for h in plain["history"]] == [h["loss"] for h in val["history"]]
    tsv = tmp_path / "val" / "dvclive" / "plots" / "metrics" / "val" / "hits@1_1step.tsv"
    lines = tsv.read_text().splitlines()
    assert lines[0].split("\t") == ["step", "hits@1_1step"] and len(lines) == 3
    assert all(0 <= float(line.split("\t")[1]) <= 100 for line in lines[1:])
    assert (tmp_path / "val" / "dvclive" / "plots" / "metrics" / "val" / "mrr_1step.tsv").is_file()


@pytest.mark.parametrize("lost", ["DVCLIVE_STEP_COMPLETED", "metrics.json"])
def test_run_ending_beside_another_in_one_dvc_repository(tmp_path, tiny_files, monkeypatch,
                                                         lost):
    """dvclive's loggers share one signal file per DVC repository, and ``Live.end()`` checks
    for it, then removes it. Seeds side by side can interleave: run A sees the file, run B
    removes it, run A's removal fails (seen 1 in 30 with 2 seeds of `senbench train
    --seeds-from-params` in a DVC repository). That interleaving is replayed here: the run
    completes. A missing file of any other name is still an error."""
    import dvclive.live

    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=tmp_path,
                   check=True)
    monkeypatch.chdir(tmp_path)  # dvclive finds the DVC root from the working directory
    signal = tmp_path / ".dvc" / "tmp" / "exps" / "run" / "DVCLIVE_STEP_COMPLETED"
    seen = []

    def cleanup_after_another_run():
        seen.append(signal.is_file())   # this run's check: the file is there
        signal.unlink()                 # the other run removes it first
        os.remove(signal.with_name(lost))   # this run's removal

    monkeypatch.setattr(dvclive.live, "cleanup_dvclive_step_completed",
                        cleanup_after_another_run)
    settings = dict(epochs=1, batch_size=8)
    run = lambda: train("shapes", "cnn", tiny_files["shapes"], 0, tmp_path / "run", settings,
                        TINY[("shapes", "cnn")], device="cpu", progress=False)
    if lost == "DVCLIVE_STEP_COMPLETED":
        summary = run()
        assert seen == [True] and len(summary["history"]) == 1
        assert (tmp_path / "run" / "model.pt").is_file()
    else:
        with pytest.raises(FileNotFoundError, match="metrics.json"):
            run()
