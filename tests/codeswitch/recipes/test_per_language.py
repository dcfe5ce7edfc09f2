"""Per-language tables with paired significance tests: Holm and the randomization test against hand
computations, and the table of a fake finished grid."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from codeswitch.recipes.per_language import holm, markdown, paired_randomization, per_language, plot, write
from codeswitch.recipes.runner import StepResult
from evaluation.trec_io import write_per_query


def test_holm_matches_a_hand_computation():
    # sorted 0.01, 0.03, 0.04 -> 3 * 0.01, 2 * 0.03, max(0.06, 1 * 0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == [1.0, 1.0] and holm([]) == []


def test_randomization_test_equals_the_exact_sign_flip_enumeration():
    a = np.array([0.9, 0.7, 1.0, 0.4, 0.8, 0.6, 0.3, 0.5])
    b = np.array([0.5, 0.7, 0.6, 0.5, 0.2, 0.6, 0.1, 0.4])
    d = a - b
    observed = abs(d.mean())
    flips = [abs((d * np.array(s)).mean()) for s in itertools.product((1, -1), repeat=len(d))]
    exact = sum(f >= observed - 1e-12 for f in flips) / len(flips)
    assert paired_randomization(a, b, resamples=10_000) == pytest.approx(exact)  # 2^8 < resamples: exact
    assert paired_randomization(a, a) == 1.0
    # Monte Carlo (2^8 > 100 resamples): seeded, and near the exact value (0.094; standard error 0.029)
    mc = paired_randomization(a, b, resamples=100, seed=3)
    assert mc == paired_randomization(a, b, resamples=100, seed=3) and abs(mc - exact) < 0.12


def test_randomization_test_agrees_with_scipy_permutation_test():
    """The Monte Carlo sign flips against scipy's implementation of the same test, on 300 queries of nDCG-like
    scores with ties and zero differences: equal within Monte Carlo error (both at 200,000 resamples, the
    standard error of a p near 0.05 is 0.0005 each)."""
    from scipy.stats import permutation_test

    rng = np.random.default_rng(7)
    for shift in (0.0, 0.012, 0.03):
        a = np.round(rng.uniform(0, 1, 300), 2)
        b = np.clip(np.round(a + rng.normal(0, 0.15, 300) * (rng.random(300) < 0.6) + shift, 2), 0, 1)
        ours = paired_randomization(b, a, resamples=200_000, seed=1)
        ref = permutation_test((b, a), lambda x, y, axis: np.mean(x - y, axis=axis), permutation_type="samples",
                               n_resamples=200_000, alternative="two-sided", random_state=0, vectorized=True,
                               batch=20_000).pvalue
        assert ours == pytest.approx(ref, abs=max(0.003, 0.03 * ref)), (shift, ours, ref)


def test_resamples_needed_is_where_holm_can_first_reach_alpha():
    from codeswitch.recipes.per_language import resamples_needed

    # 285 tests: the smallest p 1/(R+1) times 285 must be < 0.05, so R + 1 > 5,700
    assert resamples_needed(285) == 5_700 and 285 / (5_700 + 1) < 0.05 <= 285 / (5_699 + 1)
    assert resamples_needed(0) == 0


def _cell(root: Path, name: str, scores: dict[str, dict[str, float]]) -> StepResult:
    folder = root / name.replace("/", "_")
    per_lang = {k: {"ndcg@10": float(np.mean(list(v.values()))), "recall@100": 1.0} for k, v in scores.items()}
    (folder / "runs" / "afriqa-dev").mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"datasets": {"afriqa/dev": {
        "kind": "retrieval", "per_lang": per_lang}}}), encoding="utf-8")
    for key, qs in scores.items():
        write_per_query({q: {"ndcg@10": v, "recall@100": 1.0} for q, v in qs.items()},
                        folder / "runs" / "afriqa-dev" / f"{key}.per-query.tsv")
    return StepResult("eval", name, "ran", str(folder))


def test_per_language_table_marks_only_what_survives_the_correction(tmp_path):
    rng = np.random.default_rng(0)
    base = {f"q{i}": float(x) for i, x in enumerate(rng.uniform(0.2, 0.6, 40))}
    better = {q: v + 0.3 for q, v in base.items()}  # every query up: significant
    noisy = {q: v + (0.01 if i % 2 else -0.01) for i, (q, v) in enumerate(base.items())}  # no change on average
    steps = [_cell(tmp_path, "e5/off-the-shelf", {"ha-en": base, "zu-en": base}),
             _cell(tmp_path, "e5/good/seed1", {"ha-en": better, "zu-en": noisy}),
             _cell(tmp_path, "e5/good/seed2", {"ha-en": better, "zu-en": noisy})]
    res = per_language(steps, ["afriqa/dev"], resamples=2_000)
    good = res["datasets"]["afriqa/dev"]["rows"]["e5/good"]
    assert good["n"] == 2 and good["per_lang"]["ha-en"]["ndcg@10"][0] == pytest.approx(np.mean(list(better.values())))
    assert good["per_lang"]["ha-en"]["p_holm"]["ndcg@10"] < 0.05 < good["per_lang"]["zu-en"]["p_holm"]["ndcg@10"]
    assert res["n_tests"]["ndcg@10"] == 2
    table = markdown(res)
    assert "| e5/good | 2 | " in table and " ▲ | " in table and table.count("▲") == 2  # the legend + ha-en
    assert "Too few resamples" not in table
    # 30 resamples: the smallest p, 1/31, times 2 tests is above 0.05: nothing can be marked, and the table says so
    few = markdown(per_language(steps, ["afriqa/dev"], resamples=30))
    assert "**Too few resamples:**" in few and "at least 40 in the recipe" in few and few.count("▲") == 1


def test_the_upper_bound_row_is_the_references_even_after_a_baseline(tmp_path):
    base = {"q1": 0.5, "q2": 0.3}
    steps = [_cell(tmp_path, "bm25", {"ha-en": base}), _cell(tmp_path, "e5/off-the-shelf", {"ha-en": base}),
             _cell(tmp_path / "up", "bm25", {"ha-en.upper": {"q1": 0.2, "q2": 0.2}}),
             _cell(tmp_path / "up", "e5/off-the-shelf", {"ha-en.upper": {"q1": 0.9, "q2": 0.7}})]
    for s in steps[2:]:  # the upper-bound dataset's files
        folder = Path(s.out)
        doc = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        doc["datasets"] = {"afriqa/dev-en": doc["datasets"]["afriqa/dev"]}
        (folder / "metrics.json").write_text(json.dumps(doc), encoding="utf-8")
        (folder / "runs" / "afriqa-dev").rename(folder / "runs" / "afriqa-dev-en")
    res = per_language(steps, ["afriqa/dev", "afriqa/dev-en"], upper_bounds={"afriqa/dev": "afriqa/dev-en"},
                       resamples=100)
    assert "| upper bound: off-the-shelf, English question | 1 | 0.800 | 0.800 | |" in markdown(res)


def test_write_gives_strict_json_and_a_plot_of_the_changes(tmp_path):
    base = {f"q{i}": 0.3 + 0.01 * i for i in range(12)}
    steps = [_cell(tmp_path, "e5/off-the-shelf", {"ha-en": base}),
             _cell(tmp_path, "e5/good/seed1", {"ha-en": {q: v + 0.2 for q, v in base.items()}})]
    res = per_language(steps, ["afriqa/dev"], resamples=500)
    out = tmp_path / "results"
    out.mkdir()
    write(res, out)
    text = (out / "per_language.json").read_text(encoding="utf-8")
    assert "NaN" not in text and json.loads(text)["datasets"]["afriqa/dev"]["rows"]["e5/good"]["per_lang"][
        "ha-en"]["ndcg@10"][1] is None  # one seed: no std, written as null
    assert (out / "per_language.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot(json.loads(text), tmp_path / "again.png")  # replotting the written JSON (std null) works too
    assert not plot(per_language(steps[:1], ["afriqa/dev"]), tmp_path / "none.png")  # nothing trained: no plot
    assert not (tmp_path / "none.png").exists()


def test_recipe_report_says_when_resamples_are_too_few_for_the_holm_family(tmp_path, shared_data):
    """End to end through ``recipe report``: 5 resamples over 2 comparisons per metric cannot mark anything;
    the command says so and names the number to set; 100 can, and it stays quiet."""
    from click.testing import CliRunner

    from codeswitch.cli import main
    from codeswitch.recipes.config import load_recipe
    from codeswitch.recipes.runner import RecipeRunner
    from tests.codeswitch.recipes.test_recipe import FakeInvoker, _recipe

    over = {"settings": {"off-the-shelf": {}, "english": {"data": "en", "batching": "random"}}, "seeds": [1],
            "baselines": [], "eval": {"dataset": "afriqa/dev", "data_dir": "{data}"}}
    out = tmp_path / "out"
    RecipeRunner(load_recipe(_recipe(tmp_path, shared_data, **over)), out, echo=lambda s: None,
                 invoker=FakeInvoker()).run()
    rng = np.random.default_rng(0)
    for folder in out.glob("eval/m/*/*"):
        if folder.is_dir():
            scores = {"ha-en": {f"q{i}": float(x) for i, x in enumerate(rng.uniform(0, 1, 30))},
                      "zu-en": {f"q{i}": float(x) for i, x in enumerate(rng.uniform(0, 1, 30))}}
            cell = _cell(tmp_path / "made", folder.relative_to(out).as_posix(), scores)
            shutil.rmtree(folder)
            shutil.copytree(cell.out, folder)
    for resamples, noted in ((5, True), (100, False)):
        recipe = _recipe(tmp_path, shared_data, **over, significance={"resamples": resamples})
        r = CliRunner().invoke(main, ["recipe", "report", str(recipe), "--out", str(out),
                                      "--results", str(tmp_path / f"res{resamples}")])
        assert r.exit_code == 0, r.output
        assert ("note: 5 resamples cannot make any of the 2 Holm-corrected comparisons significant; set "
                "significance.resamples to at least 40" in r.output) is noted, r.output
        assert ("Too few resamples" in (tmp_path / f"res{resamples}" / "per_language.md").read_text(
            encoding="utf-8")) is noted


def test_a_settings_filter_keeps_the_significance_reference(tmp_path, shared_data):
    """``--settings english`` alone once wrote per-language tables with no off-the-shelf row: nothing to test
    against and no gap closed. The reference is now added to the filter, and the command says so."""
    from click.testing import CliRunner

    from codeswitch.cli import main
    from tests.codeswitch.recipes.test_recipe import _recipe

    over = {"settings": {"off-the-shelf": {}, "english": {"data": "en", "batching": "random"},
                         "hybrid": {"data": "en", "batching": "hybrid", "alpha": 0.5}}, "seeds": [1],
            "baselines": [], "eval": {"dataset": "afriqa/dev", "data_dir": "{data}"},
            "significance": {"resamples": 100}}
    recipe = _recipe(tmp_path, shared_data, **over)
    r = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--dry-run", "--settings", "english"])
    assert r.exit_code == 0, r.output
    assert "note: --settings: added 'off-the-shelf'" in r.output
    planned = {line.split()[2] for line in r.output.splitlines() if line.startswith("[plan] eval")}
    assert planned == {"m/off-the-shelf", "m/english/seed1"}, r.output
