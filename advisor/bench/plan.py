"""Quick mode's plan: which sub-test to run next, how many passes, and when to stop, for a measurement budget.

The same rules drive a real run (advisor.bench.worker, on the real clock) and a replay (`simulate`, on a clock
that charges each pass a recorded mean), so a replay shows what quick mode would have done on that device.

Order: at each step, among the sub-tests whose predicted cost still fits the budget, the one that removes the
most posterior variance of the inference and training scores per predicted second (advisor.bench.quick). The
predicted cost of a sub-test is its model's load (when another model is loaded), the host's work per pass
(loading input data), the dropped warm-up pass and the kept passes, each pass's time predicted from what has
been measured so far on this device. Coverage: the plan never spends the budget so that fewer than
`min_training` training sub-tests and `min_recurrent` recurrent ones remain possible, when the budget allows
them at all. Passes: one dropped warm-up pass (as the library drops its first), then kept passes until
`max_passes` or `pass_target_s` of kept time, never past the deadline. Stop: when nothing fits the budget, or
when every sub-test is done.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..vocab import DeviceKind
from .quick import QuickModel

# A sub-test that would remove less variance than this (log units squared) is not worth its seconds.
MIN_GAIN = 1e-5
# The share of the seconds left that the coverage rules' predicted completion may use before the plan turns to the
# sub-tests those rules need (predicted costs move as the device's speed is learned).
COMPLETION_MARGIN = 0.8
# The host-speed correction learned during a run stays within these bounds (a host 8x slower or 4x faster
# than the calibration machine); outside them the prediction is no longer a correction but a guess.
HOST_SCALE_BOUNDS = (0.25, 8.0)


@dataclass(frozen=True)
class Measured:
    """A finished sub-test: its kept passes' mean (ms), how many kept passes, and its wall seconds all in
    (model load, input data, warm-up and kept passes)."""

    id: str
    mean_ms: float
    passes: int
    seconds: float


@dataclass
class PlanState:
    """What the plan knows during a run: finished sub-tests (in order), failed ones, the loaded model's test id,
    the seconds spent, and the host-speed correction (observed / predicted overhead)."""

    done: list[Measured] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    loaded_test: int | None = None
    elapsed_s: float = 0.0
    host_scale: float = 1.0
    overhead_ratios: list[float] = field(default_factory=list)


class QuickPlan:
    """Quick mode's rules for one device and budget. available: the sub-tests that may run (default all);
    kind: whether TensorFlow runs on a GPU or the CPU."""

    def __init__(self, model: QuickModel, budget_s: float, available: set[str] | None = None,
                 kind: DeviceKind | str = DeviceKind.GPU):
        self.model = model
        self.kind = DeviceKind(kind)
        self.budget_s = float(budget_s)
        self.available = set(model.ids) if available is None else set(available) & set(model.ids)
        settings = model.plan
        self.max_passes = int(settings["max_passes"])
        self.pass_target_s = float(settings["pass_target_s"])
        self.min_training = int(settings["min_training"])
        self.min_recurrent = int(settings["min_recurrent"])
        self._kind = dict(zip(model.ids, model.kinds, strict=True))
        self._recurrent = dict(zip(model.ids, model.recurrent, strict=True))

    # --- predictions ---------------------------------------------------------------------------------------
    def predicted_pass_ms(self, state: PlanState) -> dict[str, float]:
        """Expected time of one pass of every sub-test on this device, from what has been measured so far."""
        observed = {m.id: (self.model.log_ratio(m.id, m.mean_ms), m.passes) for m in state.done}
        mean, _, _ = self.model.posterior(observed, self.kind)
        predicted = self.model.predicted_ms(mean)
        predicted.update({m.id: m.mean_ms for m in state.done})
        return predicted

    def passes_for(self, pass_ms: float) -> int:
        """Kept passes the pass rule gives a sub-test whose passes take pass_ms."""
        return max(1, min(self.max_passes, math.ceil(self.pass_target_s * 1000 / max(pass_ms, 1e-3))))

    def overhead_s(self, sub_id: str, passes: int, pass_ms: float, loaded_test: int | None) -> float:
        """Seconds a sub-test costs besides its kept passes, as measured on the calibration machine: the model's
        load when another is loaded, the host's work for each pass, and the warm-up pass."""
        costs = self.model.costs
        test = int(sub_id.split(".")[0])
        load = costs["load_s"].get(str(test), 0.0) if test != loaded_test else 0.0
        host = costs["host_s"].get(sub_id, 0.0) * (1 + passes)
        return load + host + costs["warmup"].get(sub_id, 1.0) * pass_ms / 1000

    def cost_s(self, sub_id: str, pass_ms: float, state: PlanState) -> float:
        passes = self.passes_for(pass_ms)
        return self.overhead_s(sub_id, passes, pass_ms, state.loaded_test) * state.host_scale + passes * pass_ms / 1000

    # --- choice --------------------------------------------------------------------------------------------
    def _needs(self, ids) -> tuple[int, int]:
        """Training and recurrent sub-tests still wanted by the coverage rules after `ids`."""
        training = sum(self._kind[i] == "training" for i in ids)
        recurrent = sum(self._recurrent[i] for i in ids)
        return max(0, self.min_training - training), max(0, self.min_recurrent - recurrent)

    def _completion_s(self, chosen: list[str], candidates: list[str], cost: dict[str, float]) -> float:
        """Predicted seconds of the cheapest sub-tests that would still meet the coverage rules after `chosen`
        (infinite when too few are left)."""
        need_training, need_recurrent = self._needs(chosen)
        if not need_training and not need_recurrent:
            return 0.0
        left = sorted((c for c in candidates if c not in chosen), key=lambda c: cost[c])
        picked = [c for c in left if self._recurrent[c]][:need_recurrent]
        need_training, _ = self._needs(chosen + picked)
        picked += [c for c in left if self._kind[c] == "training" and c not in picked][:need_training]
        if any(self._needs(chosen + picked)):
            return math.inf
        return sum(cost[c] for c in picked)

    def next_subtest(self, state: PlanState) -> str | None:
        """The sub-test to run next, or None when quick mode should stop."""
        done = [m.id for m in state.done]
        candidates = [i for i in self.model.ids if i in self.available and i not in done and i not in state.failed]
        if not candidates:
            return None
        left_s = self.budget_s - state.elapsed_s
        pass_ms = self.predicted_pass_ms(state)
        cost = {c: self.cost_s(c, pass_ms[c], state) for c in candidates}
        fits = [c for c in candidates if cost[c] <= left_s]
        if not fits:
            return None
        passes = {m.id: m.passes for m in state.done}
        before = self.model.uncertainty(passes, self.kind)
        gain = {c: before - self.model.uncertainty({**passes, c: self.passes_for(pass_ms[c])}, self.kind)
                for c in fits}
        # Coverage, while the rules can still be met: a sub-test they do not need is chosen only if, with a margin
        # for predictions that move as the device's speed is learned, their cheapest completion still fits after
        # it; otherwise the sub-tests they need come first.
        needs = self._needs(done)
        allowed = fits
        if any(needs) and self._completion_s(done, candidates, cost) <= left_s:
            serves = [c for c in fits if self._needs(done + [c]) != needs]
            others = [c for c in fits if c not in serves
                      and cost[c] + self._completion_s(done + [c], candidates, cost) <= COMPLETION_MARGIN * left_s]
            allowed = serves + others if serves else fits
        useful = [c for c in allowed if gain[c] > MIN_GAIN]
        if not useful:
            return None
        return max(useful, key=lambda c: (gain[c] / max(cost[c], 1e-3), -self.model.index[c]))

    # --- bookkeeping ---------------------------------------------------------------------------------------
    def record(self, state: PlanState, measured: Measured) -> None:
        """Add a finished sub-test (its seconds counted from before its model load); learn how much slower or
        faster this host is than the calibration machine at the work besides the kept passes."""
        predicted = self.overhead_s(measured.id, measured.passes, measured.mean_ms, state.loaded_test)
        observed = measured.seconds - measured.mean_ms * measured.passes / 1000
        if predicted > 0.05 and observed > 0:
            state.overhead_ratios.append(observed / predicted)
            ratios = sorted(state.overhead_ratios)
            low, high = HOST_SCALE_BOUNDS
            state.host_scale = min(high, max(low, ratios[len(ratios) // 2]))
        state.done.append(measured)
        state.loaded_test = int(measured.id.split(".")[0])
        state.elapsed_s += measured.seconds

    def keep_passing(self, kept_ms: list[float], elapsed_s: float, next_pass_ms: float) -> bool:
        """The pass rule: another kept pass while under max_passes and pass_target_s, and it fits the budget."""
        if len(kept_ms) >= self.max_passes or (kept_ms and sum(kept_ms) >= self.pass_target_s * 1000):
            return False
        return elapsed_s + next_pass_ms / 1000 <= self.budget_s


@dataclass(frozen=True)
class ReplayStep:
    """One sub-test of a replay: id, kept passes, the recorded mean (ms), the seconds it was charged, and the
    clock when it finished (s)."""

    id: str
    passes: int
    mean_ms: float
    seconds: float
    clock_s: float


def simulate(model: QuickModel, times_ms: dict[str, float], budget_s: float,
             kind: DeviceKind | str = DeviceKind.GPU) -> list[ReplayStep]:
    """Quick mode's plan run against recorded mean times (ms): its order, passes and stopping rule, each pass
    taking the recorded mean (the warm-up pass that mean times the calibration machine's warm-up factor), each
    model load and each pass's input loading the seconds measured on the calibration machine. Sub-tests without
    a recorded time cannot run there and are never chosen."""
    available = {i for i, t in times_ms.items() if t and t > 0 and math.isfinite(t)}
    plan = QuickPlan(model, budget_s, available, kind)
    state = PlanState()
    steps = []
    while (sub := plan.next_subtest(state)) is not None:
        t = times_ms[sub]
        overhead = plan.overhead_s(sub, plan.passes_for(t), t, state.loaded_test)
        clock = state.elapsed_s + overhead
        kept: list[float] = []
        while plan.keep_passing(kept, clock, t):
            kept.append(t)
            clock += t / 1000
        if not kept:  # slower than predicted: its warm-up used what was left for it; the plan goes on
            state.failed.add(sub)
            state.elapsed_s = clock
            state.loaded_test = int(sub.split(".")[0])
            continue
        # Passes actually kept may be fewer than predicted; charge the host work for those only.
        seconds = plan.overhead_s(sub, len(kept), t, state.loaded_test) + len(kept) * t / 1000
        plan.record(state, Measured(sub, t, len(kept), seconds))
        steps.append(ReplayStep(sub, len(kept), t, seconds, state.elapsed_s))
    return steps
