"""The linters the project is kept to, one test per linter, each run as a developer runs it from the repository root
and expected to report nothing: ruff for Python (pyproject.toml: tinygrad's 2-space indent and 150 columns), ESLint
for the page's own modules (tests/eslint.config.mjs; Classifier/js, not the generated model modules), and TypeScript's
checker on their JSDoc types (tests/tsconfig.json for the page, tests/tsconfig.worker.json for the training worker). A
linter that is not installed skips its test and says how to install it."""
import shutil, subprocess
import pytest
from conftest import ROOT

ESLINT = ROOT / "tests" / "node_modules" / ".bin" / "eslint"
TSC = ROOT / "tests" / "node_modules" / ".bin" / "tsc"

def test_python_passes_ruff():
  ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
  if ruff is None: pytest.skip("ruff is not installed (./setup.sh installs it from requirements-test.txt)")
  r = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
  assert r.returncode == 0, r.stdout + r.stderr

def test_page_modules_pass_eslint():
  if shutil.which("node") is None: pytest.skip("node is not installed (./setup.sh installs it, with npm)")
  if not ESLINT.exists(): pytest.skip("ESLint is not installed in tests/node_modules (./setup.sh, or npm ci --prefix tests, installs it)")
  command = [str(ESLINT), "--config", "tests/eslint.config.mjs", "--max-warnings", "0", "Classifier/js"]
  r = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
  assert r.returncode == 0 and r.stdout.strip() == "", f"ESLint reports problems ({' '.join(command)}):\n{r.stdout}{r.stderr}"

def test_page_modules_start_with_ts_check():
  unchecked = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "Classifier" / "js").rglob("*.js")) if not p.read_text().startswith("// @ts-check\n")]
  assert unchecked == [], f"these page modules do not start with // @ts-check: {unchecked}"

def test_page_modules_fit_in_250_lines():
  long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / "Classifier" / "js").rglob("*.js")) if (n := len(p.read_text().splitlines())) > 250}
  assert long == {}, f"these page modules are longer than 250 lines (one job per module): {long}"

@pytest.mark.parametrize("config", ["tests/tsconfig.json", "tests/tsconfig.worker.json"])
def test_page_modules_pass_typescript(config):
  if shutil.which("node") is None: pytest.skip("node is not installed (./setup.sh installs it, with npm)")
  if not TSC.exists(): pytest.skip("TypeScript is not installed in tests/node_modules (./setup.sh, or npm ci --prefix tests, installs it)")
  command = [str(TSC), "-p", config]
  r = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
  assert r.returncode == 0, f"TypeScript reports problems ({' '.join(command)}):\n{r.stdout}{r.stderr}"
