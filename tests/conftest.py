"""Test-wide settings.

Hypothesis: no per-example deadline (this machine is shared, and timing is the
benchmarks' business), and in CI a derandomized search, so a run on the same code
always tries the same examples.
"""

import os

from hypothesis import settings

settings.register_profile("lossviz", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "lossviz")
