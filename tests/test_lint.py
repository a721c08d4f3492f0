"""The linters the project is kept to: ruff for Python (pyproject.toml: tinygrad's 2-space indent and 150 columns)."""
import shutil, subprocess
import pytest
from conftest import ROOT

def test_python_passes_ruff():
  ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
  if ruff is None: pytest.skip("ruff is not installed (./setup.sh installs it from requirements-test.txt)")
  r = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
  assert r.returncode == 0, r.stdout + r.stderr
