"""The ``ica_emulator`` pytest fixtures, for testing scripts against a local ICA.

Installed with icasdk as a pytest plugin, so any test can ask for them::

    def test_tags_reach_the_file(ica_emulator):
        project = ica_emulator.create_project("demo")
        ...

``ica_emulator`` runs at the default pace; ``ica_emulator_step`` in step
mode, moving only on ``advance()`` / ``finish()``. Other settings come from
the ``ica_emulator`` marker, whose keyword arguments go to ``Emulator``::

    @pytest.mark.ica_emulator(pace=10_000, max_requests_per_second=50)
    def test_fast(ica_emulator): ...

The emulator is imported only when a fixture is used, so merely having the
plugin installed costs a test session nothing.
"""

from __future__ import annotations

import logging

import pytest

log = logging.getLogger(__name__)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "ica_emulator(**kwargs): keyword arguments for the ica_emulator fixtures' "
        "Emulator (pace, api_key, seed_file, max_requests_per_second, ...)",
    )


def _started(request, **overrides):
    try:
        from icasdk.emulator import Emulator
    except ModuleNotFoundError as err:
        msg = (
            f"the ica_emulator fixtures need icasdk's emulator extra ({err.name} is "
            "missing): pip install 'icasdk[emulator]'"
        )
        raise pytest.UsageError(msg) from None

    marker = request.node.get_closest_marker("ica_emulator")
    options = dict(marker.kwargs) if marker else {}
    options.update(overrides)
    return Emulator(**options)


@pytest.fixture
def ica_emulator(request):
    """A started ``icasdk.emulator.Emulator``, stopped after the test."""
    with _started(request) as emulator:
        yield emulator


@pytest.fixture
def ica_emulator_step(request):
    """A started ``Emulator`` in step mode: batches move only when told to."""
    with _started(request, pace="step") as emulator:
        yield emulator
