"""Test-wide settings.

Hypothesis: no per-example deadline (the 2-core CI machine is noisy and timing is not what these
properties test).  Under CI (``CI=true``) examples are derandomised so that a run is
reproducible; locally they are random, so repeated runs keep exploring.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("local", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "local")
