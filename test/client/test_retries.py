"""RetryPolicy: which failures are retried, and how long each wait is."""

from __future__ import annotations

import datetime
import email.utils

import pytest
import urllib3
from urllib3 import exceptions as urllib3_errors

from icasdk import retries
from icasdk.retries import RetryPolicy, parse_retry_after


def _no_jitter() -> float:
    return 1.0


def _connect_failed() -> urllib3_errors.NewConnectionError:
    return urllib3_errors.NewConnectionError(None, "Connection refused")


def _read_timed_out() -> urllib3_errors.ReadTimeoutError:
    return urllib3_errors.ReadTimeoutError(None, "/x", "Read timed out.")


def _dropped() -> urllib3_errors.ProtocolError:
    return urllib3_errors.ProtocolError("Connection aborted.", ConnectionResetError())


def test_backoff_doubles_up_to_its_cap():
    """Each wait doubles the one before and never exceeds backoff_max."""
    policy = RetryPolicy(
        total=10, backoff_factor=1.0, backoff_max=5.0, random=_no_jitter
    )
    waits = []
    for _ in range(5):
        policy = policy.increment("GET", "/x", status=503)
        waits.append(policy.history[-1].delay)

    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_keeps_wait_between_half_and_full_backoff():
    """The random share of a wait moves it between 50% and 100% of the backoff."""
    low = RetryPolicy(backoff_factor=2.0, random=lambda: 0.0).delay()
    high = RetryPolicy(backoff_factor=2.0, random=lambda: 0.999999).delay()

    assert low == pytest.approx(1.0)
    assert high == pytest.approx(2.0, rel=1e-5)


def test_retry_after_seconds_is_used_and_capped():
    """Retry-After in seconds replaces backoff, up to retry_after_max."""
    policy = RetryPolicy(retry_after_max=60.0)

    assert policy.delay("7") == 7.0
    assert policy.delay("3600") == 60.0
    assert policy.delay("-5") == 0.0


def test_retry_after_http_date_is_used():
    """Retry-After as an HTTP date waits until that moment."""
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=30)
    header = email.utils.format_datetime(soon, usegmt=True)

    assert 25.0 <= RetryPolicy().delay(header) <= 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_unreadable_retry_after_falls_back_to_backoff():
    """A Retry-After that is neither seconds nor a date is ignored."""
    policy = RetryPolicy(backoff_factor=1.0, random=_no_jitter)

    assert parse_retry_after("soon") is None
    assert policy.delay("soon") == 1.0


def test_retry_after_can_be_ignored():
    """A urllib3 Retry that ignores Retry-After gives a policy that ignores it."""
    setting = urllib3.Retry(
        total=2, backoff_factor=1.0, respect_retry_after_header=False
    )
    policy = RetryPolicy.from_setting(setting)

    assert policy.delay("100") < 100


@pytest.mark.parametrize("status", sorted(retries.RETRY_STATUSES))
def test_get_is_retried_on_each_retry_status(status):
    """GET is retried on 429, 502, 503 and 504."""
    assert RetryPolicy().should_retry_status("GET", status)


@pytest.mark.parametrize("status", [200, 400, 401, 404, 500, 501])
def test_other_statuses_are_not_retried(status):
    """Statuses outside the retry list are answers, not retried."""
    assert not RetryPolicy().should_retry_status("GET", status)


def test_post_is_retried_on_429_only():
    """A POST is retried on 429, never on 502/503/504 (it may have been acted on)."""
    policy = RetryPolicy()

    assert policy.should_retry_status("POST", 429)
    assert not policy.should_retry_status("POST", 502)
    assert not policy.should_retry_status("POST", 503)
    assert not policy.should_retry_status("POST", 504)


def test_connection_failure_before_sending_is_retried_for_post():
    """A connection that could not be opened is retried for any method."""
    policy = RetryPolicy()

    assert policy.should_retry_error("POST", _connect_failed())
    assert policy.should_retry_error("GET", _connect_failed())


def test_failure_after_sending_is_retried_for_get_only():
    """A read timeout or dropped connection is retried for GET, never for POST."""
    policy = RetryPolicy()

    for error in (_read_timed_out(), _dropped()):
        assert policy.should_retry_error("GET", error)
        assert not policy.should_retry_error("POST", error)


def test_tls_failure_is_not_retried():
    """A certificate error is a setting to fix, not retried."""
    assert not RetryPolicy().should_retry_error("GET", urllib3_errors.SSLError("bad"))


def test_policy_stops_when_retries_are_used_up():
    """After ``total`` retries no failure is retried."""
    policy = RetryPolicy(total=2)
    policy = policy.increment("GET", "/x", status=503)
    policy = policy.increment("GET", "/x", status=503)

    assert policy.retries_left == 0
    assert not policy.should_retry_status("GET", 503)
    assert not policy.should_retry_error("POST", _connect_failed())


def test_increment_returns_a_new_policy_with_history():
    """A policy never changes: increment gives a new one recording the retry."""
    error = _connect_failed()
    first = RetryPolicy(random=_no_jitter)
    second = first.increment("POST", "/api/x", error=error)

    assert first.history == ()
    assert second.history == (retries.RetryEvent("POST", "/api/x", None, error, 0.5),)


def test_wait_uses_the_injected_sleep():
    """The policy sleeps through the function it was given."""
    waits = []
    policy = RetryPolicy(sleep=waits.append, random=_no_jitter)
    policy.increment("GET", "/x", status=503, retry_after="3").wait()

    assert waits == [3.0]


def test_from_setting_accepts_none_count_retry_and_policy():
    """Configuration.retries may be None, an int, a urllib3 Retry or a RetryPolicy."""
    policy = RetryPolicy(total=1)

    assert RetryPolicy.from_setting(None).total == retries.DEFAULT_RETRIES
    assert RetryPolicy.from_setting(5, backoff_factor=0.1) == RetryPolicy(
        total=5, backoff_factor=0.1
    )
    converted = RetryPolicy.from_setting(
        urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[503])
    )
    assert (converted.total, converted.backoff_factor) == (2, 0.2)
    assert converted.statuses == frozenset({503})
    assert RetryPolicy.from_setting(urllib3.Retry(total=False)).total == 0
    assert RetryPolicy.from_setting(policy) is policy


@pytest.mark.parametrize("bad", ["3", 2.5, True])
def test_from_setting_rejects_other_types(bad):
    """A retries setting of another type is a TypeError naming the value."""
    with pytest.raises(TypeError, match="retries must be"):
        RetryPolicy.from_setting(bad)


def test_negative_retries_are_refused():
    """A negative retry count is a ValueError."""
    with pytest.raises(ValueError, match="0 or more, got -1"):
        RetryPolicy(total=-1)
