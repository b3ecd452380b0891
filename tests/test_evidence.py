"""Tests for advisor.runs.evidence and the evidence hook of the score book and the ranking: which runs count, poster
caps, windows, pooling with the catalog, observed allocations and their caveat, caching."""
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st
from sample_runs import valid_run

from advisor.distributions import precision_weighted_mean, score_book
from advisor.recommend import recommend
from advisor.runs.evidence import (
    CATALOG_ALLOCATION_PRIOR_RUNS,
    POSTER_CAP_RUNS,
    EvidenceCache,
    RunFact,
    build_evidence,
    match_gpu,
    poster_weights,
    weighted_stats,
    wilson_interval,
)
from advisor.runs.record import run_from_json
from advisor.runs.store import RunStore
from advisor.vocab import CaveatCode, EvidenceChoice, EvidenceSource, Metric
from advisor.workload import Workload

UTC = dt.UTC
DAY = dt.datetime(2023, 12, 1, tzinfo=UTC)  # a month before the tiny catalog's date (2024-01-01)


def fact(i, name="Mid GPU", ai=10000.0, plan=None, mode="full", poster=None, origin="shared", day=DAY, kind="gpu",
         partial=False, low=None, high=None):
    """A run as the store hands it to evidence; inference and training are half the AI score each."""
    if mode == "quick" and low is None:
        low, high = ai * 0.62, ai * 1.62  # the shipped quick interval: exp(-+0.479)
    error = math.log(high / low) / 2 / 1.96 if low else None
    return RunFact(i, day, mode, kind, name, None, None, plan, partial, ai, ai / 2, ai / 2, poster or f"p{i}",
                   EvidenceSource(origin), error)


def test_no_runs_or_catalog_choice_is_exactly_the_catalog_path(tiny):
    assert build_evidence([], tiny) is None
    assert build_evidence([fact(1)], tiny, EvidenceChoice.CATALOG) is None
    plain = recommend(tiny, Workload())
    assert [(r.plan_id, r.score, r.caveats) for r in recommend(tiny, Workload(), None)] == \
           [(r.plan_id, r.score, r.caveats) for r in plain]
    assert score_book(tiny, None) is score_book(tiny, None)


def test_full_runs_of_a_gpu_move_its_score_and_say_their_basis(tiny):
    before = score_book(tiny).gpu_score("mid", Metric.AI)
    evidence = build_evidence([fact(i, ai=11000 + 50 * (i % 3)) for i in range(12)], tiny)
    after = score_book(tiny, evidence).gpu_score("mid", Metric.AI)
    assert before.mean < after.mean < 11050 + 1
    sources = {s.source: s for s in after.basis}
    assert sources[EvidenceSource.CATALOG].n == before.n
    assert sources[EvidenceSource.SHARED].n == 12 and sources[EvidenceSource.SHARED].posters == 12
    assert sources[EvidenceSource.SHARED].first == DAY.date()
    assert "shared runs n=12" in after.detail and "catalog n=" in after.detail
    assert not after.estimated and after.n == before.n + 12


def test_a_quick_run_counts_with_its_wider_error(tiny):
    catalog_mean = score_book(tiny).gpu_score("mid", Metric.AI).mean
    full = score_book(tiny, build_evidence([fact(1, ai=14000)], tiny)).gpu_score("mid", Metric.AI)
    quick = score_book(tiny, build_evidence([fact(1, ai=14000, mode="quick")], tiny)).gpu_score("mid", Metric.AI)
    assert catalog_mean < quick.mean < full.mean
    assert quick.mean - catalog_mean < 0.2 * (full.mean - catalog_mean)


def test_quick_runs_alone_give_an_estimate_not_a_measurement(tiny):
    evidence = build_evidence([fact(i, name="New GPU", ai=60000, mode="quick") for i in range(8)], tiny)
    score = score_book(tiny, evidence).gpu_score("new", Metric.AI)
    assert score.estimated and score.error_pct is not None and score.error_pct > 10
    full = score_book(tiny, build_evidence([fact(1, name="New GPU", ai=60000)], tiny)).gpu_score("new", Metric.AI)
    assert not full.estimated


@pytest.mark.parametrize("kind", ["cpu"])  # a CPU run, or TensorFlow falling back to the CPU on a GPU machine
def test_cpu_runs_never_count_for_a_gpu_or_a_plan(tiny, kind):
    facts = [fact(i, name="Intel Xeon", kind=kind, plan="steady-free") for i in range(5)]
    facts += [fact(9, name="Mid GPU", kind=kind, plan="steady-free")]  # NVML saw the GPU; TensorFlow did not use it
    assert build_evidence(facts, tiny) is None


def test_partial_runs_count_for_allocation_not_for_scores(tiny):
    evidence = build_evidence([fact(i, plan="steady-free", partial=True) for i in range(4)], tiny)
    assert evidence.gpu("mid", Metric.AI) is None
    assert evidence.allocation("steady-free").counts == (("mid", 4),)


def test_nvml_name_decides_the_gpu_not_a_claimed_id(tiny):
    assert match_gpu(tiny, "NVIDIA Mid GPU", None, "fast") == "mid"
    assert match_gpu(tiny, "Unknown Accelerator 9000", None, None) is None


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=60))
def test_no_poster_outweighs_the_rest_or_the_cap(posters):
    weights = poster_weights(posters)
    totals = {}
    for p, w in zip(posters, weights, strict=True):
        totals[p] = totals.get(p, 0.0) + w
    assert all(t <= POSTER_CAP_RUNS + 1e-9 for t in totals.values())
    if len(totals) >= 2:
        top = max(totals.values())
        assert top <= sum(totals.values()) - top + 1e-9


def test_one_poster_cannot_outweigh_the_rest(tiny):
    honest = [fact(i, ai=10000, poster=f"student{i}") for i in range(3)]
    flood = [fact(100 + i, ai=30000, poster="flooder") for i in range(200)]
    group = build_evidence(honest + flood, tiny).gpu("mid", Metric.AI).full
    assert group.n == 203 and group.posters == 4
    assert group.mean <= 20000 + 1e-6  # the flooder weighs at most as much as the three others together


def test_window_bounds_allocation_and_spread_not_the_mean(tiny):
    old = [fact(i, ai=8000 + 1000 * (i % 2), plan="steady-free", day=DAY - dt.timedelta(days=400)) for i in range(6)]
    new = [fact(10 + i, ai=12000, plan="steady-free") for i in range(2)]
    evidence = build_evidence(old + new, tiny, window_days=180)
    assert evidence.allocation("steady-free").counts == (("mid", 2),)
    group = evidence.gpu("mid", Metric.AI).full
    assert group.n == 8 and 8500 < group.mean < 12000  # the mean uses every run
    assert group.sd is not None and group.sd < 1  # the spread only the two recent runs (both 12,000)
    wide = build_evidence(old + new, tiny, window_days=3650)
    assert wide.allocation("steady-free").counts == (("mid", 8),) and wide.gpu("mid", Metric.AI).full.sd > 400


def test_runs_after_the_catalog_date_do_not_count(tiny):
    assert build_evidence([fact(1, day=dt.datetime(2024, 6, 1, tzinfo=UTC))], tiny) is None


def test_the_choice_selects_your_runs_or_shared_runs(tiny):
    facts = [fact(1, origin="local", ai=9000), fact(2, origin="shared", ai=13000)]
    assert build_evidence(facts, tiny, "local").gpu("mid", Metric.AI).full.mean == 9000
    assert build_evidence(facts, tiny, "shared").gpu("mid", Metric.AI).full.mean == 13000
    assert build_evidence(facts, tiny, "all").gpu("mid", Metric.AI).full.n == 2


def test_observed_allocation_that_disagrees_gives_a_caveat(tiny):
    # The catalog says lottery-free hands out slow 75% / fast 25%; 12 sessions of 6 posters all got `mid`.
    facts = [fact(i, plan="lottery-free", poster=f"s{i % 6}") for i in range(12)]
    evidence = build_evidence(facts, tiny)
    rec = next(r for r in recommend(tiny, Workload(), evidence) if r.plan_id == "lottery-free")
    codes = [c.code for c in rec.caveats]
    assert CaveatCode.ALLOCATION_DISAGREES in codes
    text = next(c.text for c in rec.caveats if c.code is CaveatCode.ALLOCATION_DISAGREES)
    assert "mid 12 of 12" in text and "shared runs n=12 (6 posters" in text and "slow 75%" in text
    # The lottery is updated: the catalog's shares count as a few sessions, the observed ones as many.
    shares = dict(rec.option.shares if rec.score is None else [(c.gpu_id, c.share) for c in rec.score.components])
    assert shares["mid"] > 0.5 and math.isclose(sum(shares.values()), 1.0)
    assert rec.score.observed_allocation == "mid 12 of 12"


def test_observed_allocation_that_agrees_gives_no_caveat(tiny):
    facts = [fact(i, name="Slow GPU", ai=4000, plan="lottery-free") for i in range(9)]
    facts += [fact(20 + i, name="Fast GPU", ai=20000, plan="lottery-free") for i in range(3)]
    rec = next(r for r in recommend(tiny, Workload(), build_evidence(facts, tiny)) if r.plan_id == "lottery-free")
    assert CaveatCode.ALLOCATION_DISAGREES not in [c.code for c in rec.caveats]


def test_too_few_runs_are_shown_but_not_compared(tiny):
    evidence = build_evidence([fact(1, plan="lottery-free")], tiny)
    rec = next(r for r in recommend(tiny, Workload(), evidence) if r.plan_id == "lottery-free")
    assert CaveatCode.ALLOCATION_DISAGREES not in [c.code for c in rec.caveats]
    prior = CATALOG_ALLOCATION_PRIOR_RUNS
    assert dict((c.gpu_id, c.share) for c in rec.score.components)["mid"] == pytest.approx(1 / (prior + 1))


def test_the_articles_allocation_against_newer_runs(article_world):
    # As of the article, the catalog's Colab Free allocation is K80 10, P100 4, T4 1 of 15. Fifteen sessions of
    # five students in the months before, all on T4s, disagree with it.
    day = dt.datetime(2022, 5, 1, tzinfo=UTC)
    facts = [fact(i, name="Tesla T4", ai=13000, plan="colab-free", poster=f"student{i % 5}", day=day)
             for i in range(15)]
    evidence = build_evidence(facts, article_world)
    rec = next(r for r in recommend(article_world, Workload(), evidence) if r.plan_id == "colab-free")
    text = next(c.text for c in rec.caveats if c.code is CaveatCode.ALLOCATION_DISAGREES)
    assert "t4 15 of 15" in text and "k80" in text


def test_pooled_figures_recover_a_known_gpu_from_simulated_runs(tiny):
    # Not tuned: runs drawn from a known normal (mean 15,000, sd 4%) of a GPU the catalog measured at 20,000.
    rng = random.Random(20261128)
    true_mean, true_cv = 15000.0, 0.04
    facts = [fact(i, name="Fast GPU", ai=rng.gauss(true_mean, true_cv * true_mean), poster=f"p{i % 40}")
             for i in range(120)]
    score = score_book(tiny, build_evidence(facts, tiny)).gpu_score("fast", Metric.AI)
    # The catalog's single run disagrees; the pooled mean follows the 40 posters, not the one old figure.
    assert abs(score.mean - true_mean) < 0.05 * true_mean
    assert 0.5 * true_cv * true_mean < score.sd < 1.5 * true_cv * true_mean


def test_weighted_stats_and_intervals():
    mean, sd, n_eff = weighted_stats([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert (mean, n_eff) == (2.0, 3.0) and sd == pytest.approx(1.0)
    assert weighted_stats([5.0], [1.0])[1] is None
    low, high = wilson_interval(0, 10)
    assert low == 0 and 0.2 < high < 0.35
    mean, se = precision_weighted_mean([(100.0, 4.0), (200.0, 12.0)])
    assert mean == pytest.approx(125.0) and se == pytest.approx(math.sqrt(3.0))


def test_equal_evidence_finds_the_same_cached_score_book(tiny):
    a = build_evidence([fact(1)], tiny)
    b = build_evidence([fact(1)], tiny)
    assert a == b and hash(a) == hash(b) and score_book(tiny, a) is score_book(tiny, b)
    assert build_evidence([fact(1, ai=12345)], tiny) != a


def test_the_cache_refreshes_when_runs_arrive(tmp_path, today_world):
    store = RunStore(tmp_path / "runs.sqlite")
    cache = EvidenceCache(store)
    assert cache.get(today_world) is None
    store.add(run_from_json(valid_run()))  # a partial quick run on colab-free: an allocation observation
    first = cache.get(today_world)
    assert first is not None and first.allocation("colab-free").counts == (("t4", 1),)
    assert cache.get(today_world) is first  # no new run: the same object
    store.add(run_from_json(valid_run(note="second")))
    assert cache.get(today_world).allocation("colab-free").n == 2


def test_cli_recommend_learns_from_the_local_store_unless_told_not_to(tmp_path):
    db = tmp_path / "runs.sqlite"
    store = RunStore(db)
    for i in range(6):
        store.add(run_from_json(valid_run(note=f"n{i}")), poster="local")
    env = dict(os.environ, ADVISOR_RUNS_DB=str(db))

    def run(*args):
        r = subprocess.run([sys.executable, "-m", "advisor", "recommend", "--json", *args], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    learned, plain = run(), run("--evidence", "catalog")
    assert learned["evidence"]["runs_used"] == 6 and learned["evidence"]["plans_observed"] == ["colab-free"]
    assert plain["evidence"]["used"] == "catalog"
    colab = next(r for r in learned["recommendations"] if r["plan_id"] == "colab-free")
    assert "t4 6 of 6" in colab["score"]["basis_detail"]
    assert run("--evidence", "shared")["evidence"]["runs_used"] == 0  # these runs are the user's own


# ---------------------------------------------------------------------------------------------
# Evidence that scales (issue 19): the tally folds to what build_evidence folds


def _random_facts(seed: int, n: int):
    import random

    from advisor.runs.evidence import RunFact
    from advisor.vocab import EvidenceSource

    rng = random.Random(seed)
    names = ["Tesla T4", "NVIDIA L4", "NVIDIA A100-SXM4-40GB", "Tesla K80", "NVIDIA A10G", "Mystery GPU", "Tesla P100"]
    out = []
    for i in range(n):
        day = dt.datetime(2025, 6, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(0, 400), hours=rng.random())
        quick = rng.random() < 0.4
        ai = rng.uniform(2000, 40000)
        out.append(RunFact(i + 1, day, "quick" if quick else "full", "gpu" if rng.random() < 0.9 else "cpu",
                           rng.choice(names), rng.choice([None, 15.0, 40.0]), None,
                           rng.choice([None, "colab-free", "kaggle-free", "colab-pro"]), rng.random() < 0.1, ai,
                           ai * 0.5 if rng.random() < 0.9 else None, ai * 0.5, f"p{rng.randint(0, 6)}",
                           rng.choice([EvidenceSource.LOCAL, EvidenceSource.SHARED]),
                           rng.uniform(0.02, 0.2) if quick else None))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("choice, window", [("all", 180), ("shared", 30), ("local", 36_525)])
# folded once at the end; folded after every 50 runs (each fold takes the runs since the last one by one)
@pytest.mark.parametrize("fold_every", [None, 50])
def test_the_incremental_tally_folds_what_build_evidence_folds(seed, choice, window, fold_every):
    from advisor.catalog import load_catalog
    from advisor.runs.tally import RunTally

    catalog = load_catalog("2026-03-01")
    facts = _random_facts(seed, 600)
    tally = RunTally()
    for i, f in enumerate(facts):
        tally.add(f)
        if fold_every and i % fold_every == 0:
            tally.evidence(catalog, choice, window)
    want, got = build_evidence(facts, catalog, choice, window), tally.evidence(catalog, choice, window)
    assert (want is None) == (got is None)
    if want is None:
        return
    assert (got.runs_used, got.runs_left_out) == (want.runs_used, want.runs_left_out)
    assert set(got.gpus) == set(want.gpus) and set(got.plans) == set(want.plans)
    assert got.allocations.keys() == want.allocations.keys()
    for key in want.allocations:
        a, b = want.allocations[key], got.allocations[key]
        assert (a.counts, a.other, a.sources) == (b.counts, b.other, b.sources)
        assert [g for g, _ in a.weights] == [g for g, _ in b.weights]
        assert [w for _, w in a.weights] == pytest.approx([w for _, w in b.weights])
    for table in ("gpus", "plans"):
        for key, m in getattr(want, table).items():
            other = getattr(got, table)[key]
            assert m.sources == other.sources
            for g, h in zip(m.groups, other.groups, strict=True):
                assert (g.mode, g.n, g.posters, g.first, g.last) == (h.mode, h.n, h.posters, h.first, h.last)
                assert (g.mean, g.n_eff, g.spread_n_eff, g.log_error) == pytest.approx(
                    (h.mean, h.n_eff, h.spread_n_eff, h.log_error), rel=1e-9)
                assert (g.sd is None) == (h.sd is None) and (g.sd is None or g.sd == pytest.approx(h.sd, rel=1e-6))


def test_the_evidence_cache_reads_only_new_runs(tmp_path):
    """A new run is one query for the runs after the newest seen, not a refold of every run."""
    from advisor.catalog import load_catalog
    from advisor.runs.evidence import EvidenceCache
    from advisor.runs.record import run_from_json
    from advisor.runs.store import RunStore

    store = RunStore(tmp_path / "runs.sqlite")
    store.add_runs([run_from_json(valid_run(note=f"n{i}")) for i in range(5)])
    cache = EvidenceCache(store)
    catalog = load_catalog()
    first = cache.get(catalog)
    reads = []
    original = store.fact_batches
    store.fact_batches = lambda after_id=0, **kw: reads.append(after_id) or original(after_id, **kw)
    store.add(run_from_json(valid_run(note="new")))
    second = cache.get(catalog)
    assert reads == [5] and cache.runs == 6
    assert second.runs_used == first.runs_used + 1


def test_the_tally_keeps_folds_for_a_few_windows_and_folds_others_again():
    """Each kept fold holds sums per poster; a client asking for every window must not make the tally keep one
    for each (the fold for a window dropped is folded again, with the same figures)."""
    from advisor.catalog import load_catalog
    from advisor.runs.tally import FOLDS_KEPT, RunTally

    catalog = load_catalog("2026-03-01")
    facts = _random_facts(4, 300)
    tally = RunTally()
    for f in facts[:200]:
        tally.add(f)
    first = tally.evidence(catalog, "all", 30)
    for window in range(31, 31 + 3 * FOLDS_KEPT):
        tally.evidence(catalog, "all", window)
    assert len({key[1] for key in tally._memo}) <= FOLDS_KEPT  # private: the number of windows with kept folds
    assert tally.evidence(catalog, "all", 30).fingerprint == first.fingerprint
    for f in facts[200:]:
        tally.add(f)
    want, got = build_evidence(facts, catalog, "all", 30), tally.evidence(catalog, "all", 30)
    assert (got.runs_used, got.runs_left_out, set(got.gpus), set(got.plans)) == \
        (want.runs_used, want.runs_left_out, set(want.gpus), set(want.plans))
