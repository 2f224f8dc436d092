"""Fixtures for the emulator tests: an emulator in a thread and a raw client."""

from __future__ import annotations

import logging

import pytest

from icasdk.emulator import Emulator

from .helpers import Client

log = logging.getLogger(__name__)


@pytest.fixture
def emu():
    """An emulator in step mode, serving in a thread on a free port."""
    with Emulator(pace="step") as emulator:
        yield emulator


@pytest.fixture
def client(emu):
    """A raw client of ``emu``."""
    return Client(emu)


@pytest.fixture
def project(emu):
    """A project of the emulator's own user."""
    return emu.create_project("demo")
