"""HybridBatchSampler: batch invariants, pair_id exclusivity, epochs, determinism, alpha, sharding."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.errors import ConfigError
from training.sampler import HybridBatchSampler


def _sampler(records, **kw) -> HybridBatchSampler:
    return HybridBatchSampler(
        [r.pair_id for r in records], [r.query_lang for r in records], [r.passage_lang for r in records], **kw
    )


def _check_batch(batch, records, batch_size):
    assert len(batch) == batch_size
    assert len({records[i].pair_id for i in batch}) == batch_size, "pair_id repeated in a batch"


@pytest.mark.parametrize("mode", ["mono", "cross", "hybrid", "random"])
def test_batch_invariants_per_mode(xquad_records, mode):
    s = _sampler(xquad_records, batch_size=16, mode=mode, seed=1)
    batches = list(s)
    assert len(batches) == len(s) > 0
    plan = list(s.plan(0))
    assert [list(b.indices) for b in plan] == batches
    for b in plan:
        _check_batch(b.indices, xquad_records, 16)
        langs = {(xquad_records[i].query_lang, xquad_records[i].passage_lang) for i in b.indices}
        if b.kind == "mono":
            assert langs == {(b.lang, b.lang)}
        elif b.kind == "cross":
            assert all(q != p for q, p in langs)
    kinds = {b.kind for b in plan}
    assert kinds == {"mono": {"mono"}, "cross": {"cross"}, "random": {"random"}}.get(mode, {"mono", "cross"})


def test_len_is_one_pass_over_usable_records(xquad_records):
    n_mono = sum(r.query_lang == r.passage_lang for r in xquad_records)  # 180
    n = len(xquad_records)  # 540
    assert len(_sampler(xquad_records, batch_size=32, mode="mono")) == n_mono // 32
    assert len(_sampler(xquad_records, batch_size=32, mode="cross")) == (n - n_mono) // 32
    assert len(_sampler(xquad_records, batch_size=32, mode="hybrid")) == n // 32
    assert len(_sampler(xquad_records, batch_size=32, mode="random")) == n // 32


def test_determinism_and_epoch_reseeding(xquad_records):
    a = _sampler(xquad_records, batch_size=16, seed=5)
    b = _sampler(xquad_records, batch_size=16, seed=5)
    c = _sampler(xquad_records, batch_size=16, seed=6)
    assert list(a) == list(b)
    assert list(a) != list(c)
    a.set_epoch(1)
    e1 = list(a)
    assert e1 != list(b)  # epoch 1 differs from epoch 0
    b.set_epoch(1)
    assert e1 == list(b)
    a.set_epoch(0)
    assert list(a) == list(_sampler(xquad_records, batch_size=16, seed=5))


def test_epoch_is_one_pass_when_pair_ids_are_distinct(xquad_records):
    en = [r for r in xquad_records if r.query_lang == "en"]  # 60 pair_ids x (en-en, en-de, en-es)
    s = _sampler(en[::3], batch_size=20, mode="random", seed=3)  # 60 records, 60 distinct pair_ids
    flat = sorted(i for b in s for i in b)
    assert flat == list(range(60))


def test_realised_mono_fraction_close_to_alpha(xquad_records):
    # 540 records / batch 8 -> 67 batches per epoch; over 6 epochs ~402 Bernoulli(alpha) draws.
    for alpha in (0.25, 0.5, 0.8):
        s = _sampler(xquad_records, batch_size=8, mode="hybrid", alpha=alpha, seed=13)
        n = 6 * len(s)
        mix = s.realised_mix(n)
        assert mix["batches"] == n and mix["epochs_touched"] == 6
        sd = math.sqrt(alpha * (1 - alpha) / n)
        assert abs(mix["mono_fraction"] - alpha) < 4 * sd, mix
        langs = mix["mono_batches_by_language"]
        assert set(langs) == {"en", "de", "es"}
        per_lang = sum(langs.values()) / 3  # uniform language choice
        assert all(abs(v - per_lang) < 4 * math.sqrt(per_lang) + 1 for v in langs.values())


def test_alpha_extremes_use_one_kind_only(xquad_records):
    assert _sampler(xquad_records, batch_size=8, alpha=1.0).realised_mix(50)["batches_by_kind"] == {"mono": 50}
    assert _sampler(xquad_records, batch_size=8, alpha=0.0).realised_mix(50)["batches_by_kind"] == {"cross": 50}


def test_size_proportional_language_choice(xquad_records):
    # en has 3x the mono records of de; es is left out of mono batches.
    recs = xquad_records + [r for r in xquad_records if r.query_lang == r.passage_lang == "en"] * 2
    ids = [f"{r.pair_id}#{k}" if k else r.pair_id for k, r in enumerate(recs)]
    s = HybridBatchSampler(ids, [r.query_lang for r in recs], [r.passage_lang for r in recs], batch_size=8,
                           mode="mono", language_sampling="size", mono_languages=["en", "de"], seed=2)
    langs = s.realised_mix(400)["mono_batches_by_language"]
    assert set(langs) == {"en", "de"}
    assert 0.65 < langs["en"] / 400 < 0.85  # expected 180/240 = 0.75


def test_pool_runs_out_is_recycled(xquad_records):
    # cross pool (360) is twice the mono pool (180): with alpha 0.9 mono batches outnumber what one pass gives.
    s = _sampler(xquad_records, batch_size=10, mode="hybrid", alpha=0.9, seed=4)
    mix = s.realised_mix(len(s))
    assert mix["pool_refills"]["mono:en"] > 1 or mix["pool_refills"]["mono:de"] > 1
    for b in s.plan(0):
        _check_batch(b.indices, xquad_records, 10)


def test_ddp_shards_are_disjoint_and_cover_the_global_sequence(xquad_records):
    full = _sampler(xquad_records, batch_size=8, seed=9)
    shards = [list(_sampler(xquad_records, batch_size=8, seed=9, rank=r, world_size=3)) for r in range(3)]
    assert all(len(s) == len(full) // 3 for s in shards)
    glob = list(full)[: 3 * (len(full) // 3)]
    assert [b for i in range(len(shards[0])) for b in (shards[0][i], shards[1][i], shards[2][i])] == glob


def test_accelerate_shard_matches_our_sharding(xquad_records):
    pytest.importorskip("accelerate")
    from accelerate.data_loader import BatchSamplerShard

    full = _sampler(xquad_records, batch_size=8, seed=9)
    for r in range(2):
        ours = list(_sampler(xquad_records, batch_size=8, seed=9, rank=r, world_size=2))
        theirs = list(BatchSamplerShard(full, num_processes=2, process_index=r, even_batches=False))
        assert ours == theirs


@settings(max_examples=40, deadline=None)
@given(
    groups=st.lists(st.tuples(st.integers(1, 4), st.sampled_from(["en", "de", "sw"]), st.sampled_from(["en", "de"])),
                    min_size=12, max_size=60),
    batch_size=st.integers(2, 6),
    mode=st.sampled_from(["mono", "cross", "hybrid", "random"]),
    seed=st.integers(0, 1000),
)
def test_property_no_duplicate_pair_and_exact_len(groups, batch_size, mode, seed):
    pair_ids, ql, pl = [], [], []
    for k, (copies, q, p) in enumerate(groups):
        for _ in range(copies):
            pair_ids.append(f"p{k}")
            ql.append(q)
            pl.append(p)
    try:
        s = HybridBatchSampler(pair_ids, ql, pl, batch_size=batch_size, mode=mode, seed=seed)
    except ConfigError:
        return  # too few distinct pair_ids for a needed pool: checked in test_errors
    for epoch in (0, 1):
        s.set_epoch(epoch)
        batches = list(s)
        assert len(batches) == len(s)
        for b in batches:
            assert len(b) == batch_size and len({pair_ids[i] for i in b}) == batch_size


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"alpha": 1.5}, r"--alpha must be in \[0, 1\], found 1.5"),
        ({"alpha": -0.1}, r"--alpha must be in \[0, 1\]"),
        ({"mode": "zigzag"}, "--batching must be one of mono, cross, hybrid, random"),
        ({"batch_size": 61, "mode": "cross"}, "--batch-size 61 exceeds the 60 distinct pair_ids of cross records"),
        ({"batch_size": 61}, "--batch-size 61 exceeds the 60 distinct pair_ids of mono language 'de'"),
        ({"mono_languages": ["en", "sw"]}, "language group 'sw' has no mono records but --batching hybrid needs it"),
    ],
)
def test_errors(xquad_records, kw, match):
    with pytest.raises(ConfigError, match=match):
        _sampler(xquad_records, **{"batch_size": 8, **kw})


def test_missing_kind_errors(xquad_records):
    mono_only = [r for r in xquad_records if r.kind == "mono"]
    with pytest.raises(ConfigError, match="needs cross records .* but there are none"):
        _sampler(mono_only, batch_size=8, mode="hybrid", alpha=0.5)
    assert len(_sampler(mono_only, batch_size=8, mode="hybrid", alpha=1.0)) == 180 // 8
    cross_only = [r for r in xquad_records if r.kind == "cross"]
    with pytest.raises(ConfigError, match="needs mono records .* but there are none"):
        _sampler(cross_only, batch_size=8, mode="mono")
