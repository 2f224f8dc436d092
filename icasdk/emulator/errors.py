"""Errors of setting an emulator up: a file or value it was given cannot be used.

Each names the setting it is about, so ``python -m icasdk.emulator`` can name
the option in a one-line message. Both are ``ValueError`` subclasses::

    ValueError
    └── SetupError          setting: the Emulator keyword it concerns
        ├── StateFileError  the SQLite state file cannot be opened or used
        └── SeedError       the seed file cannot be read, or a seed is wrong

Errors while serving are never these: they become Problems (``problems.py``).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class SetupError(ValueError):
    """A setting of the emulator cannot be used; ``setting`` names it."""

    setting = "setting"


class StateFileError(SetupError):
    """The state file (``state=``, ``--state``) cannot be opened or used."""

    setting = "state"


class SeedError(SetupError):
    """The seed file cannot be read, or a seed document is wrong."""

    setting = "seed_file"
