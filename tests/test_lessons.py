"""Every lesson executes top to bottom in a fresh kernel, with no error and no warning output."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_there_are_lessons():
    names = [p.stem[:2] for p in LESSONS]
    assert names[:7] == ["01", "02", "03", "04", "05", "06", "07"], names


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_cleanly(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    problems, explorers = [], 0
    for i, cell in enumerate(nb.cells):
        figures = 0
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {i} wrote to stderr: {out.text[:300]}")
            elif out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if data.get("text/plain", "").startswith("Explorer("):
                    explorers += 1
                    assert "image/png" in data  # a static rendering still shows a picture
                elif "image/png" in data:
                    figures += 1
        if cell.cell_type == "code" and "plt.show()" in cell.source and figures == 0:
            problems.append(f"cell {i} calls plt.show() but shows no picture")
    assert not problems, "\n".join(problems)
    assert explorers >= 1, "every lesson shows at least one Explorer"
