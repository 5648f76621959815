"""Binder's build, replayed: a bare virtual environment gets only what binder/ asks for.

repo2docker's Python build pack copies the repository, runs
``pip install -r binder/requirements.txt`` from its root, then ``binder/postBuild`` if
there is one, and installs nothing else from the repository. This test does the same in a
fresh venv (no system site packages) and checks that lossviz imports, that JupyterLab and
Voila run and have the widget front ends, and that every notebook runs in that venv's kernel.
It needs a package index (PyPI, a mirror or pip's cache) and takes a minute or two;
without one it skips with a note, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
NOT_IN_A_CHECKOUT = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
)  # fmt: skip

SMOKE_NOTEBOOK_CELLS = [
    "import sys\n\nimport lossviz\n\nprint(sys.prefix)",
    "%matplotlib widget\nimport ipympl\nimport ipywidgets\nimport matplotlib.pyplot as plt\n\n"
    "fig, ax = plt.subplots()\nipywidgets.VBox([ipywidgets.FloatLogSlider(), fig.canvas])",
]

# Run by the Binder venv's own python, so that nbclient and the kernel are that venv's.
EXECUTE_NOTEBOOKS = """
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

for path in map(Path, sys.argv[1:]):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, path)
    print("executed", path.name)
"""


def run(argv, cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    """Run ``argv``; fail with its output if it fails; return its stdout."""
    result = subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, argv))} exited with {result.returncode}\n"
            f"--- stdout\n{result.stdout[-5000:]}\n--- stderr\n{result.stderr[-5000:]}",
            pytrace=False,
        )
    return result.stdout


def require_a_package_index(folder: Path) -> None:
    """Skip when pip can fetch no package (offline, no cache), except in CI, where it fails.

    Binder's build installs from a package index; without one this test can say nothing
    about the repository, and a red test would only say the machine is offline.
    """
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", folder, "ipympl"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if probe.returncode != 0:
        message = (
            "no package index reachable (pip download ipympl failed), and Binder's build "
            f"installs from one: {probe.stderr.strip()[-500:]}"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """``(checkout, venv, env)``: a copy of the repo and a venv built the way Binder does."""
    root = tmp_path_factory.mktemp("binder")
    require_a_package_index(root / "probe")
    checkout, prefix, home = root / "repo", root / "venv", root / "home"
    shutil.copytree(REPO, checkout, ignore=NOT_IN_A_CHECKOUT)
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(prefix)
    for folder in ("config", "data", "runtime", "ipython"):
        (home / folder).mkdir(parents=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "IPYTHON", "PYTHON", "VIRTUAL_ENV", "MPLBACKEND"))
    }
    env.update(
        PATH=f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(prefix),
        # Kernels and settings come from the new venv only, not from the user's folders.
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    python = prefix / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"], checkout, env)
    post_build = checkout / "binder" / "postBuild"
    if post_build.exists():
        run(["bash", post_build], checkout, env)
    return checkout, prefix, env


def test_lossviz_is_installed_from_the_checkout(binder_env, tmp_path):
    checkout, prefix, env = binder_env
    code = "import json, lossviz, ipympl, ipywidgets; print(json.dumps(lossviz.__file__))"
    # From another folder, so that Python cannot find lossviz in the current directory.
    location = Path(json.loads(run([prefix / "bin" / "python", "-c", code], tmp_path, env)))
    assert location.is_relative_to(prefix) or location.is_relative_to(checkout)  # or -e .


def test_jupyterlab_and_voila_run_with_widget_front_ends(binder_env):
    checkout, prefix, env = binder_env
    assert run([prefix / "bin" / "jupyter", "lab", "--version"], checkout, env).strip()
    assert run([prefix / "bin" / "voila", "--version"], checkout, env).strip()
    extensions = prefix / "share" / "jupyter" / "labextensions"
    assert (extensions / "jupyter-matplotlib" / "package.json").exists()
    assert (extensions / "@jupyter-widgets" / "jupyterlab-manager" / "package.json").exists()


def test_every_notebook_runs_in_the_binder_kernel(binder_env):
    checkout, prefix, env = binder_env
    notebooks = sorted((checkout / "notebooks").glob("*.ipynb"))
    smoke = checkout / "notebooks" / "binder_smoke.ipynb"
    cells = [nbformat.v4.new_code_cell(source) for source in SMOKE_NOTEBOOK_CELLS]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(
        nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), smoke
    )

    run([prefix / "bin" / "python", "-c", EXECUTE_NOTEBOOKS, smoke, *notebooks], checkout, env)

    printed = json.loads(smoke.read_text())["cells"][0]["outputs"][0]["text"]
    assert "".join(printed).strip() == str(prefix)
