"""The benchmark scripts in bench/ kept from rotting unseen: each answers --help at once (no browser started, no model
run) with exit 0 and a usage line, and none imports from tests/ (a benchmark runs without the test suite). A new script
in bench/ is covered by the glob; the modules the scripts share are listed here, as they are not run."""
import pathlib, re, shutil, subprocess
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = ROOT / ".venv" / "bin" / "python"
MODULES = {"harness.py", "digit_page.py"}  # shared by the scripts, imported, never run
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.name not in MODULES)
NODE_SCRIPTS = sorted(p.name for p in BENCH.glob("*.mjs"))
HELP_TIMEOUT_S = 60  # --help loads no model and starts no browser; the machine may be busy
# Code from tests/ reached through the import path or a relative import; tests/node_modules (packages) is not code of the suite
SUITE = r"(conftest|page_driving|pen_replay|engines|test_\w+)"
FROM_TESTS = re.compile(rf"""sys\.path.*["'/]tests\b|\bfrom\s+{SUITE}\b|^\s*import\s+{SUITE}\b|\.\./tests/(?!node_modules/)""", re.MULTILINE)

def test_modules_are_not_scripts():
  for name in MODULES: assert "__main__" not in (BENCH / name).read_text(), f"bench/{name} runs as a script: take it out of MODULES"

@pytest.mark.parametrize("name", SCRIPTS)
def test_python_script_answers_help(name):
  r = subprocess.run([str(PYTHON), f"bench/{name}", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=HELP_TIMEOUT_S)
  assert r.returncode == 0, f"bench/{name} --help exited {r.returncode}:\n{r.stderr[-2000:]}"
  assert r.stdout.startswith(f"usage: {name}"), f"bench/{name} --help printed no usage line:\n{r.stdout[:500]}"

@pytest.mark.parametrize("name", NODE_SCRIPTS)
def test_node_script_answers_help(name):
  node = shutil.which("node")
  if node is None: pytest.skip("node is not installed (./setup.sh installs it)")
  r = subprocess.run([node, f"bench/{name}", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=HELP_TIMEOUT_S)
  assert r.returncode == 0, f"bench/{name} --help exited {r.returncode}:\n{r.stderr[-2000:]}"
  assert r.stdout.startswith(f"usage: node bench/{name}"), f"bench/{name} --help printed no usage line:\n{r.stdout[:500]}"

@pytest.mark.parametrize("name", SCRIPTS + sorted(MODULES) + NODE_SCRIPTS)
def test_bench_file_imports_nothing_from_tests(name):
  found = [m.group(0) for m in FROM_TESTS.finditer((BENCH / name).read_text())]
  assert found == [], f"bench/{name} reaches into tests/: {found}"

def test_the_import_check_sees_what_it_looks_for():
  for line in ('sys.path[:0] = [str(ROOT), str(ROOT / "tests")]', "from conftest import serve", "from page_driving import SHAPES",
               'await import("../tests/page_driving.mjs")'):
    assert FROM_TESTS.search(line), line
  assert not FROM_TESTS.search('await import(new URL("../tests/node_modules/puppeteer-core/x.js", import.meta.url).href)')
