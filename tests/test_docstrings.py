"""Every example in lossviz's docstrings runs and prints what it says: a stale example
fails like any test. (Run here rather than with ``--doctest-modules``, which would also
collect the two ``conftest.py`` files as modules of the same name.)"""

import doctest
import importlib
import pkgutil

import pytest

import lossviz

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(lossviz.__path__, prefix="lossviz.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(module, name)  # each with a copy of the module's globals
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {name}"
