"""icasdk: a typed client for the ICA Project Data Update Batch API."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
