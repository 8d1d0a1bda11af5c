"""The points budget on a simulated clock: within 5,000/h and 35,000/day × headroom."""

from __future__ import annotations

import pytest

from chatbot.migration.budget import DAY_S, HOUR_S, PointsBudget
from tests.migration.simulate import SimulatedPds, max_sliding, run


@pytest.mark.parametrize("headroom", [0.8, 1.0])
def test_5000_follows_take_about_three_hours_and_never_exceed_the_limits(headroom: float) -> None:
    server = SimulatedPds()
    took = run(PointsBudget(headroom), 5000, server)
    assert server.rejected == 0
    assert sum(points for _, points in server.log) == 15000
    if headroom < 1:  # even a sliding hour stays under 5,000 (the PDS's windows are fixed)
        assert max_sliding(server.log, HOUR_S) <= 5000
    hours = took / HOUR_S
    expected = 15000 / (5000 * headroom)  # 3 h at full budget, 3.75 h with 20 % headroom
    assert expected - 1 < hours < expected + 0.25


def test_the_server_windows_never_overflow_even_at_full_headroom() -> None:
    server = SimulatedPds()
    run(PointsBudget(1.0), 5000, server)
    assert server.rejected == 0  # fixed windows from first use, like the PDS


def test_large_sets_spread_over_days() -> None:
    server = SimulatedPds()
    took = run(PointsBudget(0.8), 12000, server)  # 36,000 points > one day at 80 %
    assert server.rejected == 0
    assert max_sliding(server.log, DAY_S) <= 28000
    assert took > DAY_S


def test_paced_not_bursting() -> None:
    server = SimulatedPds()
    run(PointsBudget(0.8), 1600, server)
    first_half_hour = sum(points for moment, points in server.log if moment < HOUR_S / 2)
    assert first_half_hour <= 4000 / 2 + 600  # about half the hourly share, plus one batch


def test_headers_shrink_the_batch_to_what_the_server_allows() -> None:
    budget = PointsBudget(0.8, pace=False)
    headers = {"RateLimit-Limit": "5000", "RateLimit-Remaining": "1300", "RateLimit-Reset": "600"}
    budget.observe(0.0, headers)  # the user spent 3,700 points elsewhere
    plan = budget.plan(0.0, 500)
    assert plan.writes == (1300 - 1000) // 3  # keeps 20 % of the server's limit in reserve
    budget.spend(0.0, plan.writes)
    blocked = budget.plan(1.0, 500)
    assert blocked.writes == 0 and 590 <= blocked.wait_s <= 600
    assert budget.plan(601.0, 500).writes == 200


def test_user_activity_before_the_job_is_respected() -> None:
    server = SimulatedPds()
    run(PointsBudget(0.8), 3000, server, other_points=4500)
    assert server.rejected <= 1  # at most one refusal before the headers are known
    assert sum(points for _, points in server.log) == 9000


def test_a_429_waits_for_the_reset_and_drops_nothing() -> None:
    budget = PointsBudget(0.8, pace=False)
    wait = budget.rate_limited(100.0, {"ratelimit-limit": "5000", "ratelimit-remaining": "0",
                                       "ratelimit-reset": "1000"})  # fmt: skip
    assert wait == pytest.approx(1000.0)
    assert budget.plan(500.0, 10).writes == 0
    assert budget.plan(1101.0, 10).writes == 10


def test_epoch_reset_headers_and_state_survive_a_restart() -> None:
    budget = PointsBudget(0.8)
    budget.spend(1_800_000_000.0, 200)
    budget.observe(1_800_000_000.0, {"ratelimit-limit": "5000", "ratelimit-remaining": "4400",
                                     "ratelimit-reset": "1800003600"})  # fmt: skip
    again = PointsBudget(0.8).restore(budget.state())
    assert again.hour.used == 600 and again.server.reset_at == 1_800_003_600
    assert again.plan(1_800_000_001.0, 200).writes == 0  # the bucket is still empty
    with pytest.raises(ValueError):
        PointsBudget(1.5)


def test_the_estimate_counts_the_daily_cap_too() -> None:
    from chatbot.migration.budget import estimate_hours

    assert estimate_hours(1_000) == pytest.approx(3_000 / 4_000)  # within the first day
    # 28,000 points a day at 80 %: 10,000 creates are one full day and 2,000 points more
    assert estimate_hours(10_000) == pytest.approx(24 + 2_000 / 4_000)
