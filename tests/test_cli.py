"""The senbench command: bad input gives one line on stderr, a non-zero exit, no damage."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def error_line(stderr: str) -> str:
    lines = [l for l in stderr.splitlines()
             if l.strip() and "pybullet build time" not in l and "py3nj" not in l]
    assert len(lines) == 1, stderr
    return lines[0]


def gen_args(out, *extra, env="shapes", episodes=3):
    return ["generate", "--env", env, "--split", "train", "--episodes", episodes, "--steps", 2,
            "--seed", 1, "--out", out, "--quiet", *extra]


def test_generate_and_verify_roundtrip(tmp_path):
    out = tmp_path / "a.h5"
    code, stdout, _ = run(*gen_args(out))
    assert code == 0 and out.exists()
    digest = stdout.split()[0]
    code, stdout, _ = run("verify", out)
    assert code == 0 and stdout.split()[0] == digest


@pytest.mark.parametrize("args, needle", [
    (["--env", "pong"], "unknown env"),
    (["--episodes", "0"], "episodes"),
    (["--episodes", "-3"], "episodes"),
])
def test_generate_bad_input(tmp_path, args, needle):
    out = tmp_path / "x.h5"
    base = gen_args(out)
    for flag, value in zip(args[::2], args[1::2]):
        base[base.index(flag) + 1] = value
    code, _, stderr = run(*base)
    assert code != 0 and needle in error_line(stderr)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_existing_output_is_not_damaged(tmp_path):
    out = tmp_path / "a.h5"
    assert run(*gen_args(out))[0] == 0
    before = out.read_bytes()
    code, _, stderr = run(*gen_args(out, episodes=5))
    assert code != 0 and "--force" in error_line(stderr)
    assert out.read_bytes() == before
    assert run(*gen_args(out, "--force", episodes=5))[0] == 0
    assert out.read_bytes() != before


def test_unwritable_directory(tmp_path):
    if os.geteuid() == 0:  # root writes through file modes; /proc refuses new files
        target = "/proc/senbench-test.h5"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = ro / "a.h5"
    code, _, stderr = run(*gen_args(target))
    assert code != 0 and "senbench: error:" in error_line(stderr)
    assert not os.path.exists(target)


def test_missing_output_directory(tmp_path):
    code, _, stderr = run(*gen_args(tmp_path / "nope" / "a.h5"))
    assert code != 0 and "does not exist" in error_line(stderr)


def test_output_path_is_a_directory(tmp_path):
    code, _, stderr = run(*gen_args(tmp_path, "--force"))
    assert code != 0 and "directory" in error_line(stderr)


def test_verify_truncated_and_missing(tmp_path, tiny_grid_files):
    data = tiny_grid_files["shapes"].read_bytes()
    trunc = tmp_path / "t.h5"
    trunc.write_bytes(data[:4000])
    code, _, stderr = run("verify", trunc)
    assert code != 0 and "t.h5" in error_line(stderr)
    code, _, stderr = run("verify", tmp_path / "missing.h5")
    assert code != 0 and "no such" in error_line(stderr)


def test_generate_options(tmp_path):
    out = tmp_path / "a.h5"
    code, _, stderr = run(*gen_args(out, "--set", "colour=red"))
    assert code != 0 and "unknown option" in error_line(stderr)
    code, _, stderr = run(*gen_args(out, "--actions", "up,sideways"))
    assert code != 0 and "direction" in error_line(stderr)


def train_evaluate_analyse(tmp_path, plugin, env, split, method, data, params):
    """``senbench train`` (with ``--load plugin``), ``evaluate`` (no --load: the run's
    config.json records the plugin) and ``analyse`` of one run; returns its metrics JSON."""
    run_dir = tmp_path / "runs" / f"{env}-{split}-{method}" / "seed0"
    code, _, err = run("--load", plugin, "train", "--env", env, "--method", method,
                       "--data", data[split], "--seed", 0, "--out", run_dir,
                       "--params", params, "--quiet")
    assert code == 0, err
    metrics = tmp_path / "metrics" / f"{env}-{split}-{method}" / "seed0.json"
    code, _, err = run("evaluate", "--run", run_dir, "--data", data["eval"], "--out", metrics)
    assert code == 0, err
    code, _, err = run("analyse", "--metrics", tmp_path / "metrics", "--out",
                       tmp_path / "results", "--params", params)
    assert code == 0, err
    return metrics


def test_worked_example_plugin_gets_rows_in_the_tables(tmp_path):
    """docs/adding-a-method.md end to end: the example method, loaded as a plugin, is
    trained and evaluated by the same commands and lands in Table 2 next to the paper rows."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    example = os.path.join(root, "examples", "linear_world_model.py")
    params = tmp_path / "params.yaml"
    params.write_text("profile: default\nplugins: [%s]\n"
                      "train:\n  shapes: {epochs: 2, batch_size: 8, lr: 0.001, verify_data: false,"
                      " models: {linear: {hidden: 4, latent_dim: 4}}}\n" % example)
    data = {split: tmp_path / f"{split}.h5" for split in ("limited", "eval")}
    assert run("generate", "--env", "shapes", "--split", "limited", "--episodes", 12, "--steps",
               1, "--seed", 3, "--actions", "up", "--out", data["limited"], "--quiet")[0] == 0
    assert run("generate", "--env", "shapes", "--split", "eval", "--episodes", 12, "--steps",
               10, "--seed", 4, "--out", data["eval"], "--quiet")[0] == 0
    train_evaluate_analyse(tmp_path, example, "shapes", "limited", "linear", data, params)
    table = (tmp_path / "results" / "table2_limited_actions.md").read_text()
    row = [line for line in table.splitlines() if "linear" in line]
    assert len(row) == 1 and row[0].startswith("| 2D Shapes {up} |"), table


def test_plugin_environment_runs_the_whole_pipeline(tmp_path):
    """docs/adding-an-environment.md end to end: an env (and a method for it) registered from
    a module outside the package goes through generate -> train -> evaluate -> analyse
    through the CLI and gets rows in a table of its own, without editing any package file."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    plugin = os.path.join(root, "examples", "dot_world.py")
    params = tmp_path / "params.yaml"
    params.write_text("profile: default\nplugins: [%s]\n"
                      "train:\n  dots: {epochs: 3, batch_size: 16, lr: 0.003, "
                      "models: {pixel_mlp: {hidden: 16}}}\n" % plugin)
    data = {split: tmp_path / f"{split}.h5" for split in ("train", "eval")}
    for split, episodes, steps, seed in (("train", 40, 5, 1), ("eval", 30, 10, 2)):
        code, _, err = run("--load", plugin, "generate", "--env", "dots", "--split", split,
                           "--episodes", episodes, "--steps", steps, "--seed", seed,
                           "--workers", 2 if split == "eval" else 1,   # spawned workers too
                           "--out", data[split], "--quiet")
        assert code == 0, err
    # without the plugin the env is unknown, in one line
    code, _, err = run("generate", "--env", "dots", "--split", "x", "--episodes", 1,
                       "--steps", 1, "--seed", 0, "--out", tmp_path / "x.h5")
    assert code == 2 and "unknown env 'dots'" in error_line(err)
    metrics = train_evaluate_analyse(tmp_path, plugin, "dots", "train", "pixel_mlp", data,
                                     params)
    values = json.loads(metrics.read_text())["metrics"]
    # the registered metrics that apply: no hard negatives or traversals for this env
    assert {"ee_s", "hits@1_1step", "hits@1_10step", "die_model_10step"} <= set(values)
    assert not any(k.startswith(("hh@1", "th@1")) for k in values)
    assert values["ee_s"] == 0.0   # S is the identity and V's action is the pixel rotation
    table = (tmp_path / "results" / "env_dots_train.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| dots (train) |")]
    assert len(rows) == 1 and "pixel_mlp" in rows[0], table
    assert "hits@1_10step" in table
