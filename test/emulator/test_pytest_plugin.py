"""The pytest plugin: ``ica_emulator`` fixtures, with settings from a marker."""

from __future__ import annotations

import pytest

from .helpers import Client, group


def test_the_fixture_gives_a_started_emulator(ica_emulator):
    """ica_emulator serves at the default pace."""
    client = Client(ica_emulator)
    project = ica_emulator.create_project("p")

    batch = client.create(project, group(ica_emulator.create_data(project, "/a")))

    assert batch["job"]["status"] == "INITIALIZED"
    assert ica_emulator.pace.describe() == "500"


def test_the_step_fixture_waits_to_be_told(ica_emulator_step):
    """ica_emulator_step moves batches only on advance()."""
    client = Client(ica_emulator_step)
    project = ica_emulator_step.create_project("p")
    batch = client.create(project, group(ica_emulator_step.create_data(project, "/a")))

    ica_emulator_step.advance()

    status = client.batch(project, batch["id"])["job"]["status"]
    assert status == "WAITING_FOR_RESOURCES"


@pytest.mark.ica_emulator(api_key="marked-key", pace=1000)
def test_the_marker_sets_emulator_options(ica_emulator):
    """Keyword arguments of the ica_emulator marker go to the Emulator."""
    assert ica_emulator.api_key == "marked-key"
    assert ica_emulator.pace.describe() == "1000"
