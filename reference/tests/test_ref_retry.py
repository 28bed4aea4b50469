"""call_with_retry follows each code's catalog policy exactly; time is injected, nothing sleeps."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hh_reference.errors import IntegrationError
from hh_reference.retry import HARD_CAP_S, call_with_retry
from hh_reference.specs import ErrorCatalog, load_catalog


def _entry(code: str, retry: dict[str, object] | None) -> dict[str, object]:
    outcome: dict[str, object] = {"message": f"{code}: test entry", "preserves": []}
    if retry is not None:
        outcome["retry"] = retry
    return {
        "code": code,
        "title": "test entry",
        "category": "SYNC",
        "boundary": "internal",
        "severity": "info",
        "retryable": retry is not None,
        "trigger": {"condition": {"name": code.lower().replace("-", "_"), "description": "d"}},
        "outcome": outcome,
        "inject": {"kind": "crash", "step": "x"},
    }


@pytest.fixture
def catalog(tmp_path: Path) -> ErrorCatalog:
    entries = [
        _entry(
            "HH-SYNC-901",
            {"max_attempts": 4, "backoff": {"initial_s": 1, "multiplier": 2, "max_s": 3, "jitter": "none"}},
        ),
        _entry(
            "HH-SYNC-902",
            {"max_attempts": 3, "backoff": {"initial_s": 4, "multiplier": 2, "max_s": 60, "jitter": "full"}},
        ),
        _entry(
            "HH-SYNC-903",
            {"max_attempts": 3, "backoff": {"initial_s": 4, "multiplier": 3, "max_s": 60, "jitter": "equal"}},
        ),
        _entry(
            "HH-SYNC-904",
            {
                "max_attempts": 3,
                "backoff": {"initial_s": 1, "multiplier": 2, "max_s": 60, "jitter": "none"},
                "honour": ["retry-after"],
            },
        ),
        _entry("HH-SYNC-905", None),
    ]
    path = tmp_path / "specs" / "errors" / "test.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"kind": "ErrorCatalog", "id": "test", "boundary": "internal", "errors": entries}))
    return load_catalog(tmp_path)


class Recorder:
    def __init__(self) -> None:
        self.attempts: list[tuple[str, int, float | None]] = []
        self.slept: list[float] = []
        self.now = 0.0

    def on_attempt(self, code: str, attempt: int, delay: float | None) -> None:
        self.attempts.append((code, attempt, delay))

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class Half:
    """An rng whose uniform(a, b) is the midpoint, so jittered delays are exact."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def failing(errors: list[IntegrationError], result: str = "ok") -> Callable[[], str]:
    queue = list(errors)

    def fn() -> str:
        if queue:
            raise queue.pop(0)
        return result

    return fn


def err(
    code: str, retryable: bool = True, retry_after: float | None = None, header: str | None = None
) -> IntegrationError:
    details = {"retry_after_header": header} if header else {}
    return IntegrationError(code, f"{code}: x", retryable=retryable, retry_after_s=retry_after, details=details)


def test_exponential_backoff_capped_at_max_then_success(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    result = call_with_retry(
        failing([err("HH-SYNC-901")] * 3), catalog=catalog, on_attempt=rec.on_attempt, sleep=rec.sleep
    )
    assert result == "ok"
    assert rec.slept == [1.0, 2.0, 3.0]
    assert rec.attempts == [("HH-SYNC-901", 1, 1.0), ("HH-SYNC-901", 2, 2.0), ("HH-SYNC-901", 3, 3.0)]


def test_exhausted_attempts_reraise_the_last_error(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    errors = [err("HH-SYNC-901") for _ in range(5)]
    with pytest.raises(IntegrationError) as caught:
        call_with_retry(failing(errors), catalog=catalog, on_attempt=rec.on_attempt, sleep=rec.sleep)
    assert caught.value is errors[3]
    assert len(rec.attempts) == 4 and rec.attempts[-1] == ("HH-SYNC-901", 4, None)
    assert len(rec.slept) == 3


def test_non_retryable_code_is_raised_at_once(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    with pytest.raises(IntegrationError, match="HH-SYNC-905"):
        call_with_retry(
            failing([err("HH-SYNC-905", retryable=False)]), catalog=catalog, on_attempt=rec.on_attempt, sleep=rec.sleep
        )
    assert rec.slept == [] and rec.attempts == [("HH-SYNC-905", 1, None)]


def test_unknown_code_is_not_retried(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    with pytest.raises(IntegrationError):
        call_with_retry(failing([err("HH-SYNC-999")]), catalog=catalog, sleep=rec.sleep)
    assert rec.slept == []


def test_full_and_equal_jitter(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    call_with_retry(failing([err("HH-SYNC-902")] * 2), catalog=catalog, sleep=rec.sleep, rng=Half())
    assert rec.slept == [2.0, 4.0]  # uniform(0, 4), uniform(0, 8)
    rec = Recorder()
    call_with_retry(failing([err("HH-SYNC-903")] * 2), catalog=catalog, sleep=rec.sleep, rng=Half())
    assert rec.slept == [3.0, 9.0]  # 2 + uniform(0, 2), 6 + uniform(0, 6)


def test_jitter_stays_within_bounds_for_real_randomness(catalog: ErrorCatalog) -> None:
    for seed in range(50):
        rec = Recorder()
        call_with_retry(failing([err("HH-SYNC-902")] * 2), catalog=catalog, sleep=rec.sleep, rng=random.Random(seed))
        assert 0 <= rec.slept[0] <= 4 and 0 <= rec.slept[1] <= 8
        rec = Recorder()
        call_with_retry(failing([err("HH-SYNC-903")] * 2), catalog=catalog, sleep=rec.sleep, rng=random.Random(seed))
        assert 2 <= rec.slept[0] <= 4 and 6 <= rec.slept[1] <= 12


def test_honoured_retry_after_replaces_the_backoff_and_is_capped(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    errors = [
        err("HH-SYNC-904", retry_after=17, header="retry-after"),
        err("HH-SYNC-904", retry_after=10_000, header="retry-after"),
    ]
    call_with_retry(failing(errors), catalog=catalog, sleep=rec.sleep)
    assert rec.slept == [17.0, HARD_CAP_S]


def test_hint_from_a_header_not_honoured_is_ignored(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    call_with_retry(
        failing([err("HH-SYNC-904", retry_after=50, header="x-ratelimit-reset")]), catalog=catalog, sleep=rec.sleep
    )
    assert rec.slept == [1.0]
    rec = Recorder()
    call_with_retry(
        failing([err("HH-SYNC-901", retry_after=50, header="retry-after")]), catalog=catalog, sleep=rec.sleep
    )
    assert rec.slept == [1.0]


def test_deadline_stops_retrying_before_overrunning(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    with pytest.raises(IntegrationError):
        call_with_retry(
            failing([err("HH-SYNC-901")] * 3),
            catalog=catalog,
            sleep=rec.sleep,
            clock=rec.clock,
            deadline_s=2.5,
            on_attempt=rec.on_attempt,
        )
    assert rec.slept == [1.0]  # 1 + 2 would end at 3 s > 2.5 s
    assert rec.attempts[-1] == ("HH-SYNC-901", 2, None)


def test_attempts_count_across_codes(catalog: ErrorCatalog) -> None:
    rec = Recorder()
    with pytest.raises(IntegrationError, match="HH-SYNC-902"):
        call_with_retry(
            failing([err("HH-SYNC-901"), err("HH-SYNC-901"), err("HH-SYNC-902")]),
            catalog=catalog,
            sleep=rec.sleep,
            rng=Half(),
        )
    assert rec.slept == [1.0, 2.0]  # the third failure meets HH-SYNC-902's max_attempts of 3


def test_real_catalog_policies_bound_attempts_and_delays(project_root: Path) -> None:
    real = load_catalog(project_root)
    retryable = [e for e in real.entries if e.retry is not None]
    assert retryable, "no retryable entry in specs/errors"
    for entry in retryable:
        assert entry.retry is not None
        rec = Recorder()
        errors = [
            IntegrationError(entry.code, entry.message, retryable=True) for _ in range(entry.retry.max_attempts + 2)
        ]
        with pytest.raises(IntegrationError):
            call_with_retry(failing(errors), catalog=real, sleep=rec.sleep, rng=random.Random(1))
        assert len(rec.slept) == entry.retry.max_attempts - 1, entry.code
        assert all(0 <= d <= min(entry.retry.backoff.max_s, HARD_CAP_S) for d in rec.slept), entry.code
