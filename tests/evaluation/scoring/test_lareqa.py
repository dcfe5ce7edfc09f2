from __future__ import annotations

import numpy as np
import pytest
import pytrec_eval

from codeswitch.errors import DataFormatError
from evaluation.collections.lareqa import LareqaPool, load_pool
from evaluation.collections.registry import resolve
from evaluation.retrieval.models import BM25Model, DenseModel
from evaluation.scoring.lareqa import evaluate_pool
from evaluation.trec_io import ranked, read_qrels, read_run
from tests.evaluation.helpers import KeywordEncoder, lareqa_file


def _slice(pool: LareqaPool, n_paragraphs: int) -> LareqaPool:
    keep = [i for i, c in enumerate(pool.cand_ids) if int(c.split("_")[1]) < n_paragraphs]
    new_index = {old: new for new, old in enumerate(keep)}
    answers = {k: new_index[v] for k, v in pool.answers.items() if v in new_index}
    questions = tuple(q for q in pool.questions if (q.lang, q.xling_id) in answers)
    return LareqaPool(pool.name + "-slice", pool.langs, questions, tuple(pool.cand_ids[i] for i in keep),
                      tuple(pool.cand_texts[i] for i in keep), tuple(pool.cand_langs[i] for i in keep), answers)


def test_xquad_r_real_counts(shared_data):
    pool = resolve("xquad-r", shared_data).pool
    assert len(pool.cand_ids) == 13014 and len(pool.questions) == 11 * 1190
    assert {lang: len(pool.candidates_of(lang)) for lang in ("en", "th")} == {"en": 1180, "th": 852}
    q = pool.questions_of("de")[0]
    assert len(pool.relevant(q, None)) == 11  # one answer sentence per language


def test_bm25_real_xquad_r_slice_equals_pytrec_eval(shared_data, tmp_path):
    pool = _slice(resolve("xquad-r", shared_data, langs=("en", "de", "zh")).pool, 12)
    res = evaluate_pool(pool, BM25Model().lareqa_scorer(pool), ("mono", "multi"), cutoffs=(1, 10),
                        run_dir=tmp_path, depth=10**6)
    for setting, key in (("mono", "de"), ("mono", "zh"), ("multi", "en"), ("multi", "zh")):
        qrels = read_qrels(tmp_path / f"{setting}.{key}.qrels")
        run = read_run(tmp_path / f"{setting}.{key}.trec")
        ref = pytrec_eval.RelevanceEvaluator(qrels, {"map", "recall.1", "recall.10"}).evaluate(run)
        ours = res.per_lang[setting][key]
        assert ours["n_queries"] == len(qrels) > 30
        for mine, theirs in (("map", "map"), ("recall@1", "recall_1"), ("recall@10", "recall_10")):
            assert ours[mine] == pytest.approx(np.mean([ref[q][theirs] for q in qrels]), abs=1e-12)
        if setting == "multi":  # rank distance recomputed from the run file in trec_eval order
            dists = []
            for q, rel in qrels.items():
                order = [d for d, _ in ranked(run[q])]
                r = [order.index(d) + 1 for d in rel]
                dists.append(max(r) - min(r))
            assert ours["rank_distance"] == pytest.approx(np.mean(dists))
    # BM25 ties a lot across languages: make sure this test exercised ties
    run = read_run(tmp_path / "multi.en.trec")
    assert any(len(set(docs.values())) < len(docs) for docs in run.values())


def test_mlqa_r_layout_and_dense_protocol(tmp_path):
    # MLQA-R is not in shared/data: a small file in the LAReQA layout; question b exists in en+de only.
    lareqa_file(tmp_path / "en.json", "en", [(["Paris is in France.", "Dogs bark."], [("a", "where is paris", 0),
                                                                                     ("b", "what do dogs do", 1)])])
    lareqa_file(tmp_path / "de.json", "de", [(["Paris liegt in Frankreich.", "Hunde bellen."],
                                              [("a", "wo liegt paris", 0), ("b", "was tun hunde", 1)])])
    lareqa_file(tmp_path / "es.json", "es", [(["Paris esta en Francia."], [("a", "donde esta paris", 0)])])
    pool = resolve("mlqa-r", tmp_path, langs=("en", "de", "es")).pool
    assert pool.cand_ids == ("en_0_0", "en_0_1", "de_0_0", "de_0_1", "es_0_0")
    assert pool.relevant(pool.questions_of("en")[1], None) == [1, 3]
    res = evaluate_pool(pool, DenseModel(KeywordEncoder()).lareqa_scorer(pool))
    assert res.skipped["cross"] == 2  # b has no answer in es (asked from en and de)
    assert res.per_lang["mono"]["en"]["map"] == 1.0  # keyword overlap finds both English answers
    assert set(res.per_lang["cross"]) == {f"{a}-{b}" for a in ("en", "de", "es") for b in ("en", "de", "es") if a != b}
    assert res.summary["multi"]["rank_distance"] >= 0


def test_lareqa_bad_files(tmp_path):
    (tmp_path / "en.json").write_text('{"data": [{"paragraphs": [{"context": "x", "qas": []}]}]}')
    with pytest.raises(DataFormatError, match=r"en.json: data\[0\] paragraph 0: needs 'sentences'"):
        load_pool("mlqa-r", tmp_path, ("en",))
    (tmp_path / "en.json").write_text("{not json")
    with pytest.raises(DataFormatError, match="not valid UTF-8 JSON"):
        load_pool("mlqa-r", tmp_path, ("en",))


def _recomputed_from(run_dir, setting, key, ranks_only):
    """mAP, recall@10 and rank distance per question from the files alone (pytrec_eval or the ranks file)."""
    qrels = read_qrels(run_dir / f"{setting}.{key}.qrels")
    ranks: dict[str, list[int]] = {}
    if ranks_only:
        lines = (run_dir / f"{setting}.{key}.ranks.tsv").read_text().splitlines()
        assert lines[0] == "qid\tdocid\trank\tscore"
        for line in lines[1:]:
            qid, docid, rank, _ = line.split("\t")
            assert docid in qrels[qid]
            ranks.setdefault(qid, []).append(int(rank))
        aps = [np.mean([j / r for j, r in enumerate(sorted(rs), 1)]) for rs in ranks.values()]
        r10 = [np.mean([r <= 10 for r in rs]) for rs in ranks.values()]
    else:
        run = read_run(run_dir / f"{setting}.{key}.trec")
        ref = pytrec_eval.RelevanceEvaluator(qrels, {"map", "recall.10"}).evaluate(run)
        aps = [ref[q]["map"] for q in qrels]
        r10 = [ref[q]["recall_10"] for q in qrels]
        for q, rel in qrels.items():
            order = [d for d, _ in ranked(run[q])]
            ranks[q] = [order.index(d) + 1 for d in rel]
    return np.mean(aps), np.mean(r10), np.mean([max(r) - min(r) for r in ranks.values()])


def test_run_files_reproduce_every_metric(shared_data, tmp_path):
    # before: runs were cut at --run-depth and nothing beside them held the deeper ranks
    pool = _slice(resolve("xquad-r", shared_data, langs=("en", "de", "zh")).pool, 6)
    scorer = DenseModel(KeywordEncoder()).lareqa_scorer(pool)
    shallow = evaluate_pool(pool, scorer, ("multi",), run_dir=tmp_path / "d1", depth=1)
    full = evaluate_pool(pool, scorer, ("multi",), run_dir=tmp_path / "full", depth=None)
    assert "not mAP or the rank distance" in (tmp_path / "d1" / "README.txt").read_text()
    for key in ("en", "zh"):
        ours = shallow.per_lang["multi"][key]
        assert ours == full.per_lang["multi"][key]
        assert max(len(d) for d in read_run(tmp_path / "d1" / f"multi.{key}.trec").values()) == 1
        for run_dir, ranks_only in ((tmp_path / "d1", True), (tmp_path / "full", True), (tmp_path / "full", False)):
            ap, r10, rd = _recomputed_from(run_dir, "multi", key, ranks_only)
            assert ours["map"] == pytest.approx(ap, abs=1e-12)
            assert ours["recall@10"] == pytest.approx(r10, abs=1e-12)
            assert ours["rank_distance"] == pytest.approx(rd)
        assert max(len(d) for d in read_run(tmp_path / "full" / f"multi.{key}.trec").values()) > 10


def test_run_depth_must_be_positive_or_full(tmp_path):
    from click.testing import CliRunner

    from codeswitch.cli import main
    from codeswitch.errors import ConfigError

    lareqa_file(tmp_path / "en.json", "en", [(["Paris is in France."], [("a", "where is paris", 0)])])
    base = ["evaluate", "--model", "bm25", "--dataset", "mlqa-r", "--langs", "en", "--data-dir", str(tmp_path)]
    r = CliRunner().invoke(main, [*base, "--run-depth", "-5", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "'-5': expected a positive number of hits per question (e.g. 100) or 'full'" in r.output
    r = CliRunner().invoke(main, [*base, "--run-depth", "full", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "runs" / "mlqa-r" / "mono.en.ranks.tsv").is_file()
    pool = resolve("mlqa-r", tmp_path, langs=("en",)).pool
    with pytest.raises(ConfigError, match="run depth -5: expected a positive number"):
        evaluate_pool(pool, BM25Model().lareqa_scorer(pool), ("mono",), run_dir=tmp_path / "r", depth=-5)


def test_top_k_equals_a_full_sort_with_the_tie_rule():
    """Runs keep only the top k: partial selection must give the full sort's first k, ties by docid desc."""
    from evaluation.scoring.lareqa import top_k

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        s = rng.integers(0, 6, n).astype(np.float32) / 4  # many exact ties
        okey = rng.permutation(n)
        full = np.lexsort((-okey, -s))
        for k in (1, int(rng.integers(1, n + 1)), n, n + 3):
            assert top_k(s, okey, k).tolist() == full[:k].tolist()
