"""The published UCI HCC Survival cohort (165 patients) through `livertx cohort --map`.

Read-only from tests/data/hcc_survival/hcc-data.csv (a byte-identical copy; provenance and
licence in tests/data/README.md). The clinical facts asserted are the ones the data notes
state (Child-Pugh computable for 155/165: 74 A, 55 B, 26 C; 149 cirrhotic;
performance status 80/30/32/18/5; 58 patients with 5 nodules; 20 without a nodule size),
and what follows from what the file does not record (lymph nodes): no category is decided,
and "advanced" stays a candidate for every patient.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from livertx.cli import app

REPO = Path(__file__).resolve().parents[1]
COHORT = Path(__file__).parent / "data" / "hcc_survival" / "hcc-data.csv"
MAPPING = REPO / "examples" / "hcc_survival_mapping.yaml"


@pytest.fixture(scope="module")
def hcc(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, str, str]:
    folder = tmp_path_factory.mktemp("hcc")
    out, report = folder / "hcc.parquet", folder / "hcc.html"
    result = CliRunner().invoke(app, ["cohort", str(COHORT), "-o", str(out), "--map",
                                      str(MAPPING), "--summary", str(report)])
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out).with_columns(pl.col(pl.Enum).cast(pl.String))
    return frame, " ".join(result.output.split()), report.read_text(encoding="utf-8")


def test_every_patient_read_none_rejected(hcc) -> None:
    frame, output, _ = hcc
    assert frame.height == 165
    assert frame["error"].null_count() == 165
    assert "165 rows: 165 assessed" in output and "0 rejected" in output
    assert frame.columns[:3] == ["gender", "symptoms", "alcohol"]  # the dictionary's names


def test_child_pugh_as_the_readme_states(hcc) -> None:
    frame, _, _ = hcc
    complete = frame.filter(pl.col("cp_score").is_not_null())
    assert complete.height == 155
    counts = dict(complete["cp_class"].value_counts().iter_rows())
    assert counts == {"A": 74, "B": 55, "C": 26}
    assert complete["cp_class_from"].unique().to_list() == ["labs"]


def test_recoded_columns_keep_the_cohorts_own_counts(hcc) -> None:
    frame, _, _ = hcc
    assert frame["cirrhosis"].sum() == 149
    assert frame["vascular_invasion"].sum() == 36  # portal vein thrombosis, the proxy
    assert dict(frame["ecog"].value_counts().iter_rows()) == {0: 80, 1: 30, 2: 32, 3: 18, 4: 5}
    assert (frame["tumor_count"] == 5).sum() == 58
    assert frame["tumor_count"].null_count() == 3  # 2 missing and the one "0 nodules"
    assert frame["largest_tumor_cm"].null_count() == 20
    assert dict(frame["encephalopathy"].value_counts().iter_rows()) == {
        "none": 142, "grade_1_2": 18, "grade_3_4": 4, None: 1}


def test_tnm_t_and_milan_follow_count_size_and_thrombosis(hcc) -> None:
    frame, _, _ = hcc
    # One nodule of 2 cm or less without thrombosis is T1a. With thrombosis the cohort does
    # not say whether a major vein is involved, so T (T2 or T4) stays unknown.
    single = frame.filter(pl.col("tumor_count") == 1)
    single_small = single.filter((pl.col("largest_tumor_cm") <= 2) & ~pl.col("vascular_invasion"))
    assert single_small.height > 0 and set(single_small["t_category"]) == {"T1a"}
    single_pvt = single.filter(pl.col("vascular_invasion"))
    assert single_pvt.height > 0 and set(single_pvt["t_category"]) == {None}
    # Nodes never recorded: stage is never decided, and Milan only when it already fails.
    assert frame["stage_group"].null_count() == 165
    assert frame["milan"].drop_nulls().unique().to_list() == [False]
    beyond = frame.filter(pl.col("tumor_count") >= 4)
    assert beyond["milan"].to_list() == [False] * beyond.height


def test_category_open_for_all_with_advanced_always_possible(hcc) -> None:
    frame, _, _ = hcc
    assert frame["category"].null_count() == 165
    assert all(c[0] == "advanced" and len(c) >= 2 for c in frame["category_candidates"])
    assert all({"lymph_node_spread", "distant_spread"} <= set(m) for m in frame["missing"])
    # A vessel-invading or multinodular tumour can never be "removable by surgery".
    blocked = frame.filter(pl.col("vascular_invasion") | (pl.col("tumor_count") >= 2))
    assert not any("potentially_resectable" in c for c in blocked["category_candidates"])


def test_summary_page_reports_the_cohort(hcc) -> None:
    _, _, page = hcc
    assert 'id="rows">165<' in page and 'id="open">165<' in page
    assert "<td>A</td><td>74</td>" in page and "<td>C</td><td>26</td>" in page
