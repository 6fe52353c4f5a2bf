"""Find, download and check the four Fashion-MNIST files.

:func:`locate_data` looks, in this order, at

1. the ``path`` argument,
2. the folder named by the ``FASHION_MNIST_DIR`` environment variable,
3. ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``),
4. the user cache, ``$XDG_CACHE_HOME/minicnn/fashion-mnist`` or
   ``~/.cache/minicnn/fashion-mnist``,

and only then downloads the files into the cache, with the fetcher every data set
uses (:mod:`minicnn.datasets.download`). Each file may be gzipped (``name.gz``) or not (``name``).

A download is checked against the MD5 the Fashion-MNIST README publishes for each
``.gz`` archive (``ARCHIVE_MD5``). Why ``verify`` hashes the *unzipped* bytes instead:
Debian recompressed the archives, so its archives have other MD5s while holding exactly the same data.
``CHECKSUMS`` holds the SHA-256 of the IDX content; it was computed from the
Debian copy and agrees with the raw-file hashes other projects publish for the
official archives. It is the same whichever way a file was compressed.
"""
import hashlib
import os
import warnings
from pathlib import Path

from . import download
from .download import REGISTRY, DataNotFoundError, cache_dir as data_set_cache  # noqa: F401 (offered here)
from .idx import decompress_if_gzipped

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
EXPECTED_SHAPES = {
    "train-images-idx3-ubyte": (60000, 28, 28), "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28), "t10k-labels-idx1-ubyte": (10000,),
}
CHECKSUMS = {  # SHA-256 of the unzipped IDX files
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
# What a download checks: the published MD5 of each archive as it comes from a mirror
# (``REGISTRY`` of minicnn.datasets.download, the one table of files, hashes and mirrors).
ARCHIVE_HASHES = REGISTRY["fashion_mnist"]["files"]
ARCHIVE_MD5 = {name.removesuffix(".gz"): value.removeprefix("md5:") for name, value in ARCHIVE_HASHES.items()}
MIRRORS = REGISTRY["fashion_mnist"]["mirrors"]   # tried in order
ENV_VAR = "FASHION_MNIST_DIR"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_PACKAGE = "dataset-fashion-mnist"

FIXES = (f"apt-get install {DEBIAN_PACKAGE}   (as root; installs the files into {DEBIAN_DIR})",
         f"export {ENV_VAR}=/folder/with/the/four/files   (gzipped or not)",
         "python datasets.py fetch   (downloads and checks them into the user cache)")


def cache_dir():
    """``$XDG_CACHE_HOME/minicnn/fashion-mnist``, or ``~/.cache/...`` when unset."""
    return data_set_cache("fashion_mnist")


def find_files(directory):
    """Map each of the four names to its file in ``directory`` (``name.gz`` first, then ``name``).

    Names with no file are left out, so ``len(result) == 4`` means complete.
    """
    found = {}
    for name in NAMES:
        for candidate in (Path(directory) / f"{name}.gz", Path(directory) / name):
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def _why_incomplete(directory, files):
    if not Path(directory).is_dir():
        return "no such folder"
    missing = [n for n in NAMES if n not in files]
    return f"found {len(files)} of 4 files, missing {', '.join(missing)} (.gz or not)"


def candidate_places(path=None):
    """The local places to search, in order, as ``(label, directory or None)`` pairs."""
    env = os.environ.get(ENV_VAR)
    return [("path argument", Path(path) if path is not None else None),
            (f"${ENV_VAR}", Path(env) if env else None),
            (f"Debian package {DEBIAN_PACKAGE}", Path(DEBIAN_DIR)),
            ("user cache", cache_dir())]


def locate_data(path=None, download=True, base_url=None, checksums=None, verbose=True):
    """Find the folder that holds all four files, downloading them as a last resort.

    Parameters
    ----------
    path : str or Path, optional
        Looked at first.
    download : bool
        When False, stop after the local places (nothing is fetched).
    base_url : str, optional
        Download from this URL instead of trying each of ``MIRRORS``.
    checksums : dict, optional
        ``name.gz`` -> hash of the downloaded archive (``"md5:..."``); defaults to ``ARCHIVE_HASHES``.

    Returns
    -------
    (str, Path, dict)
        Which place it was, the folder, and ``find_files`` of that folder.

    Raises
    ------
    DataNotFoundError
        Listing every place tried, why each failed, and the three fixes.
    """
    tried = []
    for label, directory in candidate_places(path):
        if directory is None:
            tried.append(f"{label}: {'not set' if label.startswith('$') else 'not given'}")
            continue
        files = find_files(directory)
        if len(files) == len(NAMES):
            return label, directory, files
        if label == "path argument":       # asked for by name: a typo is an error, not a reason to use other data
            raise DataNotFoundError(f"{directory} does not hold Fashion-MNIST ({_why_incomplete(directory, files)}). "
                                    f"Check the path, or leave it out to use ${ENV_VAR}, the Debian package, "
                                    f"the cache or a download.")
        tried.append(f"{label} {directory}: {_why_incomplete(directory, files)}")
        if label == f"${ENV_VAR}":
            warnings.warn(f"{label} {directory} does not hold Fashion-MNIST ("
                          f"{_why_incomplete(directory, files)}); looking elsewhere.")
    if not download:
        tried.append("download: switched off (download=False)")
        raise DataNotFoundError(not_found_message(tried))
    try:
        directory = download_from_mirrors(cache_dir(), base_url, checksums, verbose)
    except OSError as err:
        tried.append(f"download into {cache_dir()}: {err}")
        raise DataNotFoundError(not_found_message(tried)) from err
    return "download", directory, find_files(directory)


def not_found_message(tried):
    """The text of ``DataNotFoundError``: every place tried, then the fixes."""
    lines = ["Fashion-MNIST was not found. Places tried, in order:"]
    lines += [f"  {i}. {entry}" for i, entry in enumerate(tried, 1)]
    lines += ["Fix it with one of:"] + [f"  - {fix}" for fix in FIXES]
    lines += ["(For a quick look without the full data: load_fashion_mnist(sample=True).)"]
    return "\n".join(lines)


def content_sha256(path):
    """SHA-256 of the unzipped content of ``path`` (so .gz and raw copies agree)."""
    data = decompress_if_gzipped(Path(path).read_bytes(), str(path))
    return hashlib.sha256(data).hexdigest()


def check_checksum(path, name, checksums=None, shown_as=None):
    """Raise ``ValueError`` unless the content of ``path`` has the known hash of ``name``.

    ``shown_as`` replaces the path in the message (a download names its URL,
    not the temporary file that is about to be deleted).
    """
    checksums = CHECKSUMS if checksums is None else checksums
    received = content_sha256(path)
    if received != checksums[name]:
        raise ValueError(f"{shown_as or path} fails its checksum: SHA-256 of its content is "
                         f"{received}, expected {checksums[name]} for {name}. "
                         "It is damaged or not the official file; delete it and fetch again.")


def download_from_mirrors(dest, base_url=None, checksums=None, verbose=True):
    """Download the four archives into ``dest`` with the one fetcher (:func:`minicnn.datasets.download.fetch`).

    ``checksums`` maps each ``name.gz`` to its hash (``"md5:..."``), by default
    ``ARCHIVE_HASHES``; ``base_url`` replaces ``MIRRORS``. Only archives whose
    hash matches are kept. Raises ``OSError`` listing what went wrong with each URL.
    """
    registry = {"mirrors": MIRRORS, "files": ARCHIVE_HASHES if checksums is None else checksums}
    download.fetch("fashion_mnist", dest, base_url, registry, verbose)
    return Path(dest)
