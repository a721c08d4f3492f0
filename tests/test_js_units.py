"""The page's pure logic, tested in Node with its own test runner (tests/js/*.test.mjs import the page's modules by
relative path): page options, the memory's layout, the teaching batches, the scheduler, time formatting, the
safetensors reader. What needs a browser stays in the Playwright tests."""
import pathlib, shutil, subprocess

def test_page_logic_passes_nodes_test_runner():
  node = shutil.which("node")
  assert node is not None, "node is not installed (./setup.sh installs it)"
  tests = pathlib.Path(__file__).parent / "js"
  files = sorted(str(f.relative_to(tests.parent.parent)) for f in tests.glob("*.test.mjs"))
  assert files, f"no *.test.mjs in {tests}"
  r = subprocess.run([node, "--test", *files], cwd=tests.parent.parent, capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, f"node --test {' '.join(files)}:\n{r.stdout[-6000:]}{r.stderr[-2000:]}"
