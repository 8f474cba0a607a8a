"""The result tables: which runs feed them, which metrics they show, the paper's numbers.

A table collects every metrics JSON whose ``(env, train split)`` matches its ``group``;
every column and reference key is checked against the metric registry when this module is
imported (a mistyped key fails here, not as "-" in a table).  Runs of an (env, split) that
no paper table shows get a table of their own (:func:`env_table`), so a new environment
gets rows without touching this file.
rows are methods (the paper's first, in the paper's order, then any other registered
method found, alphabetically), so a new method gets rows without touching this file.
Reference numbers are those of SPEC section 6 (ICML 2022 tables; the earlier draft's
numbers where the ICML version has none, marked as such in the table's note).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from benchmark.metrics import check_metric_key, metrics


@dataclass(frozen=True)
class Column:
    metric: str          # key in the metrics JSON
    label: str
    scale: float = 1.0   # displayed value = metric * scale
    digits: int = 1


@dataclass(frozen=True)
class Table:
    name: str            # file stem under results/
    title: str
    groups: tuple[tuple[str, str, str], ...]   # (env, train split, row-group label)
    columns: tuple[Column, ...]
    method_order: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    # (row-group label, method) -> {metric: reference value in displayed units}
    paper: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    #: where every reference number of the table comes from (written beside each in the CSV)
    source: str = ""
    #: columns the paper does not report (the reference cell reads "not in paper")
    not_in_paper: tuple[str, ...] = ()
    #: the score of this table's settings in the aggregate table (a percentage column)
    headline: str = ""
    note: str = ""


METHOD_LABELS = {"sen": "Ours (SEN)", "none": "None", "full": "Full", "cnn": "CNN (C-SWM)",
                 "hvae": "Homeomorphic VAE"}

TABLES = (
    Table(
        name="table1_teapot",
        title="Table 1: 3D Teapot, large action space",
        groups=(("teapot", "train", "3D Teapot"),),
        columns=(Column("th@1_yaw", "TH@1 yaw"), Column("th@1_pitch", "TH@1 pitch"),
                 Column("th@1_roll", "TH@1 roll"), Column("hh@1_1step", "HH@1 (1 step)"),
                 Column("ee_s", "EE(S)", digits=2),
                 Column("die_model_1step", "DIE (1 step, x1e-2)", scale=1e2, digits=2)),
        method_order=("hvae", "none", "sen"), headline="hh@1_1step",
        labels={"sen": "Ours (MatMul)"},
        paper={
            ("3D Teapot", "hvae"): {"th@1_yaw": 6.7, "th@1_pitch": 10.0, "th@1_roll": 3.3,
                                    "hh@1_1step": 0.9, "ee_s": 2.41, "die_model_1step": 0.68},
            ("3D Teapot", "none"): {"th@1_yaw": 6.7, "th@1_pitch": 60, "th@1_roll": 86.7,
                                    "hh@1_1step": 93.9, "ee_s": 2.38, "die_model_1step": 3.41},
            ("3D Teapot", "sen"): {"th@1_yaw": 100, "th@1_pitch": 100, "th@1_roll": 100,
                                   "hh@1_1step": 100, "ee_s": 0.05, "die_model_1step": 0.45},
        },
        source="ICML 2022 poster, Table 1 (seed 000_85fe8b60535e3cae)",
        note="TH@1 follows the benchmark's definition; HH@1 uses 10 negatives turned by "
             "exactly 2pi/30, strict; EE(S) is the unnormalised Frobenius distance, the "
             "paper's units (docs/metrics.md).",
    ),
    Table(
        name="table2_limited_actions",
        title="Table 2: trained on a subset of actions, evaluated on all actions",
        groups=(("shapes", "limited", "2D Shapes {up}"),
                ("blocks", "limited", "3D Blocks {up,right,down}")),
        columns=(Column("hits@1_10step", "H@1 (10 step)"), Column("mrr_10step", "MRR (10 step)"),
                 Column("ee_s", "EE(S)", digits=2),
                 Column("die_model_10step", "DIE (10 step, x1e-3)", scale=1e3, digits=1)),
        method_order=("cnn", "none", "full", "sen"), headline="hits@1_10step",
        paper={
            ("2D Shapes {up}", "cnn"): {"hits@1_10step": 2.8, "mrr_10step": 5.3, "ee_s": 0.00,
                                        "die_model_10step": 0.19},
            ("2D Shapes {up}", "sen"): {"hits@1_10step": 100, "mrr_10step": 99.9, "ee_s": 0.00,
                                        "die_model_10step": 0.00},
            ("2D Shapes {up}", "full"): {"hits@1_10step": 100, "mrr_10step": 99.9, "ee_s": 0.00,
                                         "die_model_10step": 0.00},
            ("3D Blocks {up,right,down}", "none"): {"hits@1_10step": 52.3, "mrr_10step": 61.8,
                                                   "ee_s": 0.98, "die_model_10step": 181},
            ("3D Blocks {up,right,down}", "full"): {"hits@1_10step": 83.7, "mrr_10step": 86.0,
                                                   "ee_s": 0.81, "die_model_10step": 15},
            ("3D Blocks {up,right,down}", "sen"): {"hits@1_10step": 99.9, "mrr_10step": 100,
                                                  "ee_s": 0.96, "die_model_10step": 5},
        },
        source="ICML 2022 poster, Table 2 (2D Shapes: one row 'Ours/Full')",
        note="The paper's 2D Shapes CNN DIE, 0.19, is most likely printed unscaled (SPEC "
             "section 6); it is shown as printed.",
    ),
    Table(
        name="table3_blocks_all_actions",
        title="3D Blocks, all actions",
        groups=(("blocks", "train", "3D Blocks"),),
        columns=(Column("hits@1_1step", "H@1 (1 step)"), Column("mrr_1step", "MRR (1 step)"),
                 Column("hits@1_10step", "H@1 (10 step)"), Column("mrr_10step", "MRR (10 step)"),
                 Column("ee_s", "EE(S)", digits=2)),
        method_order=("none", "full", "sen"), headline="hits@1_10step",
        not_in_paper=("hits@1_1step", "mrr_1step", "hits@1_10step", "mrr_10step", "ee_s"),
        note="No reference: the draft's 3D Blocks all-actions row is not a usable number "
             "(its MRR is below its H@1; SPEC section 6).",
    ),
    Table(
        name="table4_reacher_all_actions",
        title="Reacher, all actions",
        groups=(("reacher", "train", "Reacher"),),
        columns=(Column("hits@1_1step", "H@1 (1 step)"), Column("hits@10_1step", "H@10 (1 step)"),
                 Column("mrr_1step", "MRR (1 step)"), Column("hits@1_10step", "H@1 (10 step)"),
                 Column("ee_s", "EE(S)", digits=2)),
        method_order=("none", "full", "sen"),
        paper={("Reacher", "none"): {"hits@10_1step": 100, "mrr_1step": 88.3},
               ("Reacher", "full"): {"hits@10_1step": 100, "mrr_1step": 95.5},
               ("Reacher", "sen"): {"hits@10_1step": 100, "mrr_1step": 94.1}},
        source="the paper's earlier draft (secondary reference)", headline="hits@10_1step",
        not_in_paper=("hits@1_1step", "hits@1_10step", "ee_s"),
        note="The paper code evaluates Reacher at 1 step only.",
    ),
)


def check_tables(tables: tuple[Table, ...]) -> None:
    """Every column and reference key of ``tables`` is a registered metric key."""
    for table in tables:
        if table.headline and table.headline not in {c.metric for c in table.columns}:
            raise ValueError(f"table {table.name}: headline {table.headline!r} is not a column")
        for col in table.columns:
            check_metric_key(col.metric)
        for ref in table.paper.values():
            for key in ref:
                check_metric_key(key)


def env_table(env: str, split: str, keys: list[str]) -> Table:
    """The table of an (env, train split) that no paper table shows: one column per
    registered metric key found in its runs, in registry order (``keys``: the keys present)."""
    order = {m.name: i for i, m in enumerate(metrics())}
    from benchmark.metrics import metric_for_key
    known = sorted((k for k in keys if _known(k)), key=lambda k: (order[metric_for_key(k).name], k))
    return Table(name=f"env_{env}_{split}", title=f"{env}, trained on the {split} split",
                 groups=((env, split, f"{env} ({split})"),),
                 columns=tuple(Column(k, k, digits=2 if k.startswith(("ee", "die")) else 1)
                               for k in known),
                 method_order=(), note="No paper reference for this environment.")


def _known(key: str) -> bool:
    try:
        check_metric_key(key)
    except KeyError:
        return False
    return True


check_tables(TABLES)
