"""Tests for minicnn.datasets: IDX reading, the search order, downloads (Fashion-MNIST, MNIST,
CIFAR-10), checksums, CLI, sample.

Fake data sets are a few tiny IDX files written to ``tmp_path``; downloads go
through a real HTTP server on 127.0.0.1 started by the test (no mocks of urllib).
"""
import gzip
import hashlib
import http.server
import io
import os
import signal
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minicnn import backend
from minicnn.datasets import (CLASS_NAMES, DataNotFoundError, load_fashion_mnist, load_sample,
                              read_idx, to_categorical, to_model_input, write_idx)
from minicnn.datasets import cifar10, cli, download, files, mnist
from minicnn.datasets import load_cifar10, load_mnist
from minicnn.datasets.idx import idx_bytes, parse_idx
from minicnn.datasets.sample import SAMPLE_PATH

REPO = Path(__file__).resolve().parent.parent
NAMES = files.NAMES


# ----------------------------------------------------------------------------- helpers
def make_fake_dir(directory, seed=0, n_train=6, n_test=4, gz=True):
    """Write four valid, tiny Fashion-MNIST-like IDX files; return what they hold."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        arrays[f"{split}-images-idx3-ubyte"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}-labels-idx1-ubyte"] = rng.integers(0, 10, n, dtype=np.uint8)
    for name, array in arrays.items():
        write_idx(directory / (name + (".gz" if gz else "")), array)
    return arrays


def content_checksums(directory):
    """The checksum table that the fake files in ``directory`` pass."""
    return {name: files.content_sha256(path) for name, path in files.find_files(directory).items()}


def archive_hashes(directory):
    """The download table (``name.gz`` -> hash) that the archives served from ``directory`` pass."""
    paths = [Path(directory) / f"{name}.gz" for name in NAMES]   # fetched in this order
    return {path.name: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(x_test, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Every place in the search order pointed into tmp_path, all empty; downloads off-line."""
    p = SimpleNamespace(arg=tmp_path / "arg", env=tmp_path / "env", debian=tmp_path / "debian",
                        cache=tmp_path / "xdg" / "minicnn" / "fashion-mnist")
    monkeypatch.delenv(files.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(files, "DEBIAN_DIR", p.debian)
    monkeypatch.setattr(files, "MIRRORS", ())  # never reach the real internet from a test
    return p


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/served; names in ``cut`` are sent half."""
    root = tmp_path / "served"
    root.mkdir()
    state = SimpleNamespace(root=root, requests=[], cut=set())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append(self.path)
            target = root / self.path.rsplit("/", 1)[-1]
            if not target.is_file():
                self.send_error(404)
                return
            data = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))  # the full length ...
            self.end_headers()
            if target.name in state.cut:
                self.wfile.write(data[: len(data) // 2])  # ... then hang up half way
                self.close_connection = True
            else:
                self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_port}/"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


# ----------------------------------------------------------------------------- search order
def test_path_argument_comes_first(places, monkeypatch):
    wanted = make_fake_dir(places.arg, seed=1)
    make_fake_dir(places.env, seed=2)
    monkeypatch.setenv(files.ENV_VAR, str(places.env))
    assert_loaded(load_fashion_mnist(places.arg, download=False), wanted)


def test_environment_variable_comes_before_debian(places, monkeypatch):
    wanted = make_fake_dir(places.env, seed=2)
    make_fake_dir(places.debian, seed=3)
    monkeypatch.setenv(files.ENV_VAR, str(places.env))
    assert_loaded(load_fashion_mnist(download=False), wanted)
    assert files.locate_data(download=False)[0] == "$FASHION_MNIST_DIR"


def test_debian_folder_comes_before_cache(places):
    wanted = make_fake_dir(places.debian, seed=3)
    make_fake_dir(places.cache, seed=4)
    assert_loaded(load_fashion_mnist(download=False), wanted)


def test_cache_is_used_last(places):
    wanted = make_fake_dir(places.cache, seed=4)
    assert_loaded(load_fashion_mnist(download=False), wanted)
    assert files.locate_data(download=False)[:2] == ("user cache", places.cache)


def test_cache_falls_back_to_home_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert files.cache_dir() == tmp_path / ".cache" / "minicnn" / "fashion-mnist"


def test_uncompressed_files_are_accepted(places):
    wanted = make_fake_dir(places.arg, gz=False)
    assert_loaded(load_fashion_mnist(places.arg, download=False), wanted)


def test_a_path_given_must_hold_the_data(places):
    """A typo in the path is an error; training on whatever else is found would be a silent wrong answer."""
    make_fake_dir(places.debian, seed=3)
    make_fake_dir(places.arg)
    (places.arg / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataNotFoundError, match="does not hold Fashion-MNIST.*t10k-labels-idx1-ubyte.*Check the path"):
        load_fashion_mnist(places.arg, download=False)
    with pytest.raises(DataNotFoundError, match="typo"):
        load_fashion_mnist(places.arg.parent / "typo", download=False)


def test_incomplete_environment_folder_warns_and_search_goes_on(places, monkeypatch):
    wanted = make_fake_dir(places.debian, seed=3)
    make_fake_dir(places.env)
    (places.env / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(files.ENV_VAR, str(places.env))
    with pytest.warns(UserWarning, match="t10k-labels-idx1-ubyte"):
        assert_loaded(load_fashion_mnist(download=False), wanted)


def test_nothing_found_lists_every_place_and_the_three_fixes(places, monkeypatch):
    monkeypatch.setenv(files.ENV_VAR, str(places.env))
    with pytest.raises(DataNotFoundError) as info, pytest.warns(UserWarning, match="looking elsewhere"):
        load_fashion_mnist(download=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for place in (places.env, places.debian, places.cache):
        assert str(place) in message
    assert "download=False" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "FASHION_MNIST_DIR=" in message
    assert "python datasets.py fetch" in message


def test_sample_is_never_a_silent_fallback(places):
    with pytest.raises(DataNotFoundError):
        load_fashion_mnist(download=False)


# ----------------------------------------------------------------------------- the IDX reader
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_idx_round_trip_every_type(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / "a.idx.gz", array)
    out = read_idx(tmp_path / "a.idx.gz")
    assert out.dtype == np.dtype(dtype) and out.flags.writeable
    np.testing.assert_array_equal(out, array)


def test_idx_header_is_the_published_layout():
    # 00 00 | 08 = unsigned byte | 03 axes | 2, 1, 1 as big-endian uint32 | the 2 pixels
    assert idx_bytes(np.array([[[7]], [[9]]], dtype=np.uint8)).hex() == \
        "00000803" "00000002" "00000001" "00000001" "0709"


def test_truncated_file_is_named(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-10])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte is truncated"):
        read_idx(path)


def test_truncated_gzip_is_named(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(path, np.arange(100, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz is a corrupt or truncated"):
        read_idx(path)


def test_corrupt_gzip_is_named(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    write_idx(path, np.arange(200, dtype=np.uint8).reshape(2, 10, 10))
    data = bytearray(path.read_bytes())
    data[20:30] = b"\xff" * 10  # scribble over the deflate stream
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz is a corrupt"):
        read_idx(path)


def test_bad_magic_is_named(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"PK\x03\x04 this is a zip, not IDX")
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte is not an IDX file: bad magic"):
        read_idx(path)


def test_extra_bytes_are_reported(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.arange(5, dtype=np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match="labels is too long"):
        read_idx(path)


def test_wrong_file_in_the_labels_place_is_named(places):
    make_fake_dir(places.arg)
    write_idx(places.arg / "train-labels-idx1-ubyte.gz", np.zeros((6, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz should hold 6 uint8 labels"):
        load_fashion_mnist(places.arg, download=False)


class Timeout(Exception):
    pass


def _raise_timeout(*args):
    raise Timeout("parse_idx took more than 5 s")


MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000)),
    st.tuples(st.just("extend"), st.binary(min_size=1, max_size=20)),
)


def mutate(data, mutations):
    data = bytearray(data)
    for op, *args in mutations:
        if op == "flip" and data:
            data[args[0] % len(data)] ^= args[1]  # xor with non-zero: the byte really changes
        elif op == "truncate":
            del data[args[0] % (len(data) + 1):]
        elif op == "extend":
            data += args[0]
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.lists(st.integers(0, 5), min_size=1, max_size=3), gz=st.booleans(),
       mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_fuzz_damaged_files_fail_only_with_a_clean_value_error(shape, gz, mutations):
    array = (np.arange(int(np.prod(shape))) % 256).astype(np.uint8).reshape(shape)
    data = idx_bytes(array)
    data = mutate(gzip.compress(data, mtime=0) if gz else data, mutations)
    old = signal.signal(signal.SIGALRM, _raise_timeout)
    signal.alarm(5)  # a hang fails the test instead of freezing it
    try:
        result = parse_idx(data, name="fuzzed.idx")
    except ValueError as err:
        assert "fuzzed.idx" in str(err)  # every message names the file
    else:  # a mutation may leave a valid file (a flipped pixel); then the shape must fit
        assert isinstance(result, np.ndarray) and result.size == np.prod(result.shape)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# ----------------------------------------------------------------------------- checksums
def test_checksum_mismatch_is_reported_for_that_file_only(places):
    make_fake_dir(places.arg)
    table = content_checksums(places.arg)
    table["t10k-images-idx3-ubyte"] = "0" * 64
    shapes = {n: read_idx(p).shape for n, p in files.find_files(places.arg).items()}
    report = {name: problem for name, _, problem in cli.verify_dir(places.arg, table, shapes)}
    assert "fails its checksum" in report["t10k-images-idx3-ubyte"]
    assert "0" * 64 in report["t10k-images-idx3-ubyte"]
    assert [n for n, problem in report.items() if problem] == ["t10k-images-idx3-ubyte"]


def test_checksum_ignores_compression(tmp_path):
    make_fake_dir(tmp_path / "gz", gz=True)
    make_fake_dir(tmp_path / "raw", gz=False)
    assert content_checksums(tmp_path / "gz") == content_checksums(tmp_path / "raw")


def test_checksums_table_matches_the_debian_copy():
    """CHECKSUMS must pass the real release (skipped where it is not installed)."""
    if len(files.find_files(files.DEBIAN_DIR)) < 4:
        pytest.skip("dataset-fashion-mnist is not installed")
    assert [problem for _, _, problem in cli.verify_dir(files.DEBIAN_DIR)] == [None] * 4


# ----------------------------------------------------------------------------- downloads
def test_download_through_a_real_http_server(places, server):
    wanted = make_fake_dir(server.root)
    table = archive_hashes(server.root)
    result = load_fashion_mnist(base_url=server.url, checksums=table)
    assert_loaded(result, wanted)
    assert sorted(os.listdir(places.cache)) == sorted(f"{n}.gz" for n in NAMES)
    assert len(server.requests) == 4
    load_fashion_mnist(download=False)  # now found in the cache: no new request
    assert len(server.requests) == 4


def test_interrupted_download_leaves_nothing_half_written(places, server):
    make_fake_dir(server.root)
    table = archive_hashes(server.root)
    server.cut.add("t10k-images-idx3-ubyte.gz")  # the third of the four downloads
    with pytest.raises(DataNotFoundError, match="t10k-images-idx3-ubyte.gz.*IncompleteRead"):
        load_fashion_mnist(base_url=server.url, checksums=table)
    # The two files before it are complete and kept; no partial file of the third.
    assert sorted(os.listdir(places.cache)) == ["train-images-idx3-ubyte.gz",
                                                 "train-labels-idx1-ubyte.gz"]
    server.cut.clear()  # the next try fetches only what is missing
    load_fashion_mnist(base_url=server.url, checksums=table)
    assert len(server.requests) == 3 + 2


def test_download_with_bad_checksum_is_not_kept(places, server):
    make_fake_dir(server.root)
    table = archive_hashes(server.root)
    table["train-images-idx3-ubyte.gz"] = "sha256:" + hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(DataNotFoundError, match="does not match the known hash"):
        load_fashion_mnist(base_url=server.url, checksums=table)
    assert os.listdir(places.cache) == []


def test_mirrors_are_tried_in_order(places, server, monkeypatch):
    wanted = make_fake_dir(server.root)
    monkeypatch.setattr(files, "ARCHIVE_HASHES", archive_hashes(server.root))
    monkeypatch.setattr(files, "MIRRORS", (server.url + "gone/", server.url))
    assert cli.fetch_data(use_apt=False, verbose=False) == places.cache
    assert server.requests[0] == "/gone/train-images-idx3-ubyte.gz"  # the first mirror: 404
    assert_loaded(load_fashion_mnist(download=False), wanted)


def test_missing_file_on_server_names_the_url(places, server):
    with pytest.raises(DataNotFoundError, match="404") as info:
        load_fashion_mnist(base_url=server.url)
    assert server.url in str(info.value)


# ----------------------------------------------------------------------------- MNIST and CIFAR-10
def make_cifar_archive(directory, per_batch=2, seed=0):
    """A cifar-10-binary.tar.gz in the official layout, ``per_batch`` records per file; returns the arrays."""
    rng = np.random.default_rng(seed)
    members, splits = {}, {}
    for split, names in (("train", cifar10.TRAIN_FILES), ("test", cifar10.TEST_FILES)):
        images = rng.integers(0, 256, (per_batch * len(names), 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, (per_batch * len(names), 1), dtype=np.uint8)
        splits[split] = (images, labels)
        for i, name in enumerate(names):
            part = slice(i * per_batch, (i + 1) * per_batch)
            planes = images[part].transpose(0, 3, 1, 2).reshape(per_batch, -1)   # R plane, G plane, B plane
            members[name] = np.hstack([labels[part], planes]).tobytes()
    path = Path(directory) / cifar10.ARCHIVE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{cifar10.FOLDER}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return splits


def served_registry(server):
    """The registry a test injects: the loopback server, and the hashes of what it serves."""
    return {"mirrors": (server.url,), "files": {path.name: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
                                                for path in sorted(server.root.iterdir())}}


@pytest.fixture
def no_data_env(places, monkeypatch):
    for variable in (mnist.ENV_VAR, cifar10.ENV_VAR):
        monkeypatch.delenv(variable, raising=False)
    return places.cache.parent        # $XDG_CACHE_HOME/minicnn


def test_mnist_downloads_idx_files_from_a_loopback_server(no_data_env, server):
    wanted = make_fake_dir(server.root)
    registry = served_registry(server)
    registry["files"] = {f"{name}.gz": registry["files"][f"{name}.gz"] for name in NAMES}
    assert_loaded(load_mnist(registry=registry, verbose=False), wanted)
    assert sorted(os.listdir(no_data_env / "mnist")) == sorted(f"{n}.gz" for n in NAMES)
    assert_loaded(mnist.load_data(), wanted)       # Keras's name; found in the cache, nothing fetched
    assert len(server.requests) == 4


def test_cifar10_downloads_the_binary_archive(no_data_env, server):
    wanted = make_cifar_archive(server.root)
    (x_train, y_train), (x_test, y_test) = load_cifar10(registry=served_registry(server), verbose=False)
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, wanted["train"][0])     # planes moved to channels-last
    np.testing.assert_array_equal(y_test, wanted["test"][1])
    assert cifar10.load_data()[1][0].shape == (2, 32, 32, 3)       # Keras's name, from the cache
    assert os.listdir(no_data_env / "cifar10") == [cifar10.ARCHIVE]


def test_checksum_mismatch_is_refused_and_nothing_cached(no_data_env, server):
    make_cifar_archive(server.root)
    registry = {"mirrors": (server.url,), "files": {cifar10.ARCHIVE: "md5:" + "0" * 32}}
    with pytest.raises(DataNotFoundError, match="does not match the known hash"):
        load_cifar10(registry=registry, verbose=False)
    assert not any((no_data_env / "cifar10").iterdir())


def test_truncated_download_and_truncated_archive_are_named(no_data_env, server, tmp_path):
    make_cifar_archive(server.root)
    server.cut.add(cifar10.ARCHIVE)
    with pytest.raises(DataNotFoundError, match=f"{cifar10.ARCHIVE}.*IncompleteRead"):
        load_cifar10(registry=served_registry(server), verbose=False)
    assert not any((no_data_env / "cifar10").iterdir())
    data = (server.root / cifar10.ARCHIVE).read_bytes()
    (tmp_path / "arg").mkdir()
    (tmp_path / "arg" / cifar10.ARCHIVE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"arg/{cifar10.ARCHIVE} is truncated"):
        load_cifar10(tmp_path / "arg")


def test_a_path_without_the_data_is_an_error_not_a_fallback(no_data_env, tmp_path):
    make_fake_dir(no_data_env / "mnist")                      # the cache holds MNIST ...
    with pytest.raises(DataNotFoundError, match="typo does not hold mnist"):
        load_mnist(tmp_path / "typo")                         # ... but the path asked for is not there


# ----------------------------------------------------------------------------- command line
@pytest.mark.parametrize("command", [[], ["fetch"], ["verify"], ["info"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(command + ["--help"])
    assert info.value.code == 0
    assert "--path" in capsys.readouterr().out or not command


def test_cli_verify_ok_then_fail(places, monkeypatch, capsys):
    make_fake_dir(places.arg)
    monkeypatch.setattr(files, "CHECKSUMS", content_checksums(places.arg))
    monkeypatch.setattr(files, "EXPECTED_SHAPES",
                        {n: read_idx(p).shape for n, p in files.find_files(places.arg).items()})
    assert cli.main(["verify", "--path", str(places.arg)]) == 0
    assert capsys.readouterr().out.count("OK ") == 4
    (places.arg / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    assert cli.main(["verify", "--path", str(places.arg)]) == 1
    out = capsys.readouterr().out
    assert "FAIL train-labels-idx1-ubyte.gz" in out and out.count("OK ") == 3


def test_cli_info_and_fetch(places, server, monkeypatch, capsys):
    make_fake_dir(server.root)
    monkeypatch.setattr(files, "ARCHIVE_HASHES", archive_hashes(server.root))
    dest = places.arg
    assert cli.main(["fetch", "--path", str(dest), "--base-url", server.url]) == 0
    assert len(files.find_files(dest)) == 4
    capsys.readouterr()
    assert cli.main(["info", "--path", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "train: x (6, 28, 28) uint8, y (6,) uint8" in out and "T-shirt/top" in out


def test_cli_fetch_verify_info_of_mnist_and_cifar10(no_data_env, server, monkeypatch, capsys, tmp_path):
    make_fake_dir(server.root)
    make_cifar_archive(server.root)
    table = served_registry(server)
    monkeypatch.setitem(download.REGISTRY, "mnist", {"mirrors": (server.url,), "files": {
        f"{name}.gz": table["files"][f"{name}.gz"] for name in NAMES}})
    monkeypatch.setitem(download.REGISTRY, "cifar10", {"mirrors": (server.url,), "files": {
        cifar10.ARCHIVE: table["files"][cifar10.ARCHIVE]}})
    assert cli.main(["fetch", "--dataset", "mnist"]) == 0
    assert cli.main(["fetch", "--dataset", "cifar10", "--path", str(tmp_path / "c")]) == 0
    assert cli.main(["verify", "--dataset", "mnist"]) == 0
    assert cli.main(["info", "--dataset", "cifar10", "--path", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "OK   train-images-idx3-ubyte.gz" in out and "x (10, 32, 32, 3) uint8, y (10, 1) uint8" in out
    assert "airplane" in out
    archive = tmp_path / "c" / cifar10.ARCHIVE
    archive.write_bytes(archive.read_bytes()[:-10])
    assert cli.main(["verify", "--dataset", "cifar10", "--path", str(tmp_path / "c")]) == 1
    assert f"FAIL {cifar10.ARCHIVE}: SHA256" in capsys.readouterr().out


def test_cli_info_on_an_incomplete_folder_says_what_is_missing(places, capsys):
    make_fake_dir(places.arg)
    (places.arg / "t10k-images-idx3-ubyte.gz").unlink()
    assert cli.main(["info", "--path", str(places.arg)]) == 1
    assert "Missing Fashion-MNIST files: t10k-images-idx3-ubyte" in capsys.readouterr().err


def test_fetch_does_nothing_when_the_data_is_there(places, monkeypatch):
    make_fake_dir(places.env)
    monkeypatch.setenv(files.ENV_VAR, str(places.env))
    assert cli.fetch_data(use_apt=False) == places.env


def test_script_verify_on_the_real_data():
    if len(files.find_files(files.DEBIAN_DIR)) < 4 and not os.environ.get(files.ENV_VAR):
        pytest.skip("no full Fashion-MNIST on this machine")
    run = subprocess.run([sys.executable, "datasets.py", "verify"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "All four files are good." in run.stdout


# ----------------------------------------------------------------------------- helpers
def test_to_model_input_scales_and_adds_a_channel():
    x = np.array([[[0, 51], [255, 102]]], dtype=np.uint8)
    out = to_model_input(x)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [[0, 0.2], [1, 0.4]], rtol=1e-6)


def test_to_model_input_follows_floatx():
    backend.set_floatx("float64")
    try:
        assert to_model_input(np.zeros((2, 3, 3), np.uint8)).dtype == np.float64
    finally:
        backend.set_floatx("float32")


def test_to_model_input_rejects_converted_images():
    with pytest.raises(ValueError, match="Received float32 of shape"):
        to_model_input(np.zeros((2, 28, 28, 1), np.float32))


def test_to_categorical_like_keras():
    np.testing.assert_array_equal(to_categorical([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    out = to_categorical(np.array([[3], [1]]), num_classes=5)
    assert out.shape == (2, 5) and out.dtype == np.float64 and out[0, 3] == 1 and out.sum() == 2
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])


@pytest.mark.parametrize("labels, message", [([0, 10, 3], "Label 10 .at index 1. is outside 0..9"),
                                             ([0, -1], "Label -1 .at index 1."),
                                             ([0.5, 1.0], "Received 0.5 at index 0")])
def test_to_categorical_names_the_bad_label(labels, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(np.array(labels), num_classes=10 if 10 in labels else None)


# ----------------------------------------------------------------------------- sample
def test_sample_is_small_balanced_and_shaped_like_the_real_thing():
    assert SAMPLE_PATH.stat().st_size < 1_000_000
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(sample=True)
    assert x_train.shape == (1600, 28, 28) and x_test.shape == (400, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [160] * 10
    assert np.bincount(y_test).tolist() == [40] * 10
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[0] == "T-shirt/top" and CLASS_NAMES[9] == "Ankle boot"


def test_sample_rows_are_real_rows():
    try:
        (x_train, y_train), (x_test, _) = load_fashion_mnist(download=False)
    except DataNotFoundError:
        pytest.skip("no full Fashion-MNIST on this machine")
    assert (x_train.shape, y_train[:10].tolist()) == ((60000, 28, 28), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    with np.load(SAMPLE_PATH, allow_pickle=False) as sample:
        np.testing.assert_array_equal(sample["x_train"], x_train[sample["train_indices"]])
        np.testing.assert_array_equal(sample["y_train"], y_train[sample["train_indices"]])
        np.testing.assert_array_equal(sample["x_test"], x_test[sample["test_indices"]])
    assert load_sample()[0][0].shape == (1600, 28, 28)
