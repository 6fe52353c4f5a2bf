"""What ``python datasets.py fetch|verify|info [--dataset NAME]`` does; the script only calls :func:`main`.

Fashion-MNIST (the default) has its own search order (Debian's package included) and
checks the unzipped content; MNIST and CIFAR-10 are checked against the hashes their
publishers list for the files as downloaded (:data:`minicnn.datasets.download.REGISTRY`).
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import cifar10, download, files, mnist
from .fashion import CLASS_NAMES, load_files
from .idx import read_idx

# The other data sets: (module, whether a folder holds the whole data set).
OTHER_DATA_SETS = {"mnist": (mnist, mnist.is_complete), "cifar10": (cifar10, cifar10.is_complete)}
DATA_SET_NAMES = ("fashion_mnist", *OTHER_DATA_SETS)


def verify_dir(directory, checksums=None, expected_shapes=None):
    """Check each of the four files in ``directory``: present, valid IDX, right shape, right hash.

    Returns
    -------
    list of (str, Path or None, str or None)
        ``(name, path, problem)`` per file; ``problem`` is None when the file is good.
    """
    checksums = files.CHECKSUMS if checksums is None else checksums
    expected_shapes = files.EXPECTED_SHAPES if expected_shapes is None else expected_shapes
    found = files.find_files(directory)
    report = []
    for name in files.NAMES:
        path = found.get(name)
        report.append((name, path, _problem(name, path, checksums, expected_shapes)))
    return report


def _problem(name, path, checksums, expected_shapes):
    if path is None:
        return f"missing: neither {name}.gz nor {name} is there"
    try:
        array = read_idx(path)
        if array.shape != tuple(expected_shapes[name]):
            return f"shape {array.shape}, expected {tuple(expected_shapes[name])}"
        files.check_checksum(path, name, checksums)
    except ValueError as err:
        return str(err)
    return None


def archive_note(name, path):
    """Say whether a .gz is byte-for-byte the official archive, or a recompressed copy."""
    if path is None or path.suffix != ".gz":
        return "uncompressed"
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    if md5 == files.ARCHIVE_MD5[name]:
        return "the official .gz archive (MD5 as published)"
    return "recompressed .gz (MD5 differs from the published one; the content hash is what counts)"


def apt_has_package(package=files.DEBIAN_PACKAGE):
    """True when ``apt-cache`` exists and knows ``package``."""
    if shutil.which("apt-cache") is None:
        return False
    result = subprocess.run(["apt-cache", "show", "--no-all-versions", package],
                            capture_output=True, text=True)
    return result.returncode == 0 and f"Package: {package}" in result.stdout


def apt_knows_package():
    """``apt_has_package``, after refreshing apt's package lists once if it does not.

    A fresh machine's apt knows no packages until ``apt-get update`` has run.
    """
    if apt_has_package():
        return True
    if shutil.which("apt-get") is None:
        return False
    subprocess.run(["apt-get", "update", "-q"], capture_output=True)
    return apt_has_package()


def fetch_data(dest=None, base_url=None, use_apt=True, verbose=True):
    """Make the data available and return the folder it is in.

    With no ``dest``: nothing to do if it is already found; else, as root and
    when apt knows the package, ``apt-get install dataset-fashion-mnist``;
    else download (checked against the checksums) into the user cache.
    With ``dest``: download into that folder.
    """
    if dest is None:
        try:
            label, directory, _ = files.locate_data(download=False)
            print(f"Already there ({label}): {directory}")
            return directory
        except files.DataNotFoundError:
            pass
        if use_apt and hasattr(os, "geteuid") and os.geteuid() == 0 and apt_knows_package():
            print(f"Installing the Debian package {files.DEBIAN_PACKAGE} ...")
            subprocess.run(["apt-get", "install", "-y", files.DEBIAN_PACKAGE], check=True)
            if len(files.find_files(files.DEBIAN_DIR)) == len(files.NAMES):
                return Path(files.DEBIAN_DIR)
        dest = files.cache_dir()
    return files.download_from_mirrors(dest, base_url, verbose=verbose)


def cmd_fetch(args):
    if args.dataset in OTHER_DATA_SETS:
        if args.path:
            download.fetch(args.dataset, args.path, args.base_url)
            directory = Path(args.path)
        else:
            _, directory = download.locate(args.dataset, OTHER_DATA_SETS[args.dataset][1],
                                           env_var=OTHER_DATA_SETS[args.dataset][0].ENV_VAR, base_url=args.base_url)
        print(f"{args.dataset} is in {directory}")
        return 0
    directory = fetch_data(args.path, args.base_url, use_apt=not args.no_apt)
    print(f"Fashion-MNIST is in {directory}")
    return 0


def _other_folder(args):
    """``(label, folder)`` of MNIST or CIFAR-10: ``--path`` exactly when given, else the search (no download)."""
    module, is_complete = OTHER_DATA_SETS[args.dataset]
    return download.locate(args.dataset, is_complete, args.path, module.ENV_VAR, download=False)


def verify_downloads(name, folder):
    """``[(file name, problem or None)]``: each downloaded file of ``name`` in ``folder`` against its published hash."""
    import pooch

    report = []
    for filename, known in download.REGISTRY[name]["files"].items():
        path = Path(folder) / filename
        algorithm, expected = known.split(":")
        if not path.is_file():
            report.append((filename, "missing"))
        else:
            received = pooch.file_hash(str(path), alg=algorithm)
            report.append((filename, None if received == expected else
                           f"{algorithm.upper()} {received}, expected {expected}: damaged or not the official file"))
    return report


def _where(args):
    """``(label, folder)``: ``--path`` exactly when given, else the usual search (no download)."""
    if args.path:
        return "--path", Path(args.path)
    label, directory, _ = files.locate_data(download=False)
    return label, directory


def cmd_verify(args):
    if args.dataset in OTHER_DATA_SETS:
        label, directory = _other_folder(args)
        print(f"Checking {directory} ({label})")
        report = verify_downloads(args.dataset, directory)
        for filename, problem in report:
            print(f"  {'OK  ' if problem is None else 'FAIL'} {filename}: {problem or 'the published hash'}")
        failed = sum(problem is not None for _, problem in report)
        print(f"All {len(report)} files are good." if not failed else f"{failed} of {len(report)} files failed.")
        return 1 if failed else 0
    label, directory = _where(args)
    print(f"Checking {directory} ({label})")
    report = verify_dir(directory)
    for name, path, problem in report:
        shown = path.name if path else name
        print(f"  {'OK  ' if problem is None else 'FAIL'} {shown}: "
              f"{problem or archive_note(name, path)}")
    failed = sum(problem is not None for _, _, problem in report)
    print("All four files are good." if not failed else f"{failed} of 4 files failed.")
    return 1 if failed else 0


def cmd_info(args):
    from .explore import class_balance, pixel_statistics  # explore pulls in matplotlib
    names = CLASS_NAMES
    if args.dataset in OTHER_DATA_SETS:
        module = OTHER_DATA_SETS[args.dataset][0]
        label, directory = _other_folder(args)
        print(f"Reading {directory} ({label})")
        splits, names = getattr(module, f"load_{args.dataset}")(directory), module.CLASS_NAMES
    elif args.sample:
        from .sample import SAMPLE_PATH, load_sample
        print(f"Bundled sample: {SAMPLE_PATH}")
        splits = load_sample()
    else:
        label, directory = _where(args)
        print(f"Reading {directory} ({label})")
        splits = load_files(files.find_files(directory))
    for split, (x, y) in zip(("train", "test"), splits):
        counts = class_balance(y, len(names))
        stats = pixel_statistics(x)
        print(f"{split}: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")
        print("  class counts: " + ", ".join(f"{n} {c}" for n, c in zip(names, counts)))
        print(f"  pixels (scaled to [0, 1]): mean {stats['mean']:.4f}, std {stats['std']:.4f}, "
              f"zero {100 * stats['zero_share']:.1f} %, min {stats['min']:.0f}, max {stats['max']:.0f}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="datasets.py", description="Get, check and describe "
                                     "Fashion-MNIST, MNIST and CIFAR-10 for minicnn.")
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser(
        "fetch", help="install or download the data",
        description="Nothing to do when the data is already found. Otherwise, as root with apt: "
                    f"apt-get install {files.DEBIAN_PACKAGE}. Otherwise: download the four files, "
                    "check their SHA-256, and keep them in the user cache.")
    fetch.add_argument("--path", help="download into this folder instead (no apt)")
    fetch.add_argument("--base-url", help="download from this URL instead of the official mirrors")
    fetch.add_argument("--no-apt", action="store_true", help="never call apt-get; download")
    verify = sub.add_parser("verify", help="check the four files: IDX structure, shapes, checksums",
                            description="Print OK or what is wrong for each file; exit code 1 "
                                        "when any file fails.")
    info = sub.add_parser("info", help="where the data is, shapes, class counts, pixel statistics",
                          description="Describe the data that load_fashion_mnist() would load.")
    info.add_argument("--sample", action="store_true", help="describe the bundled sample instead")
    for command in (verify, info):
        command.add_argument("--path", help="use this folder (default: the usual search order: "
                                            f"${files.ENV_VAR}, {files.DEBIAN_DIR}, the user cache; for "
                                            f"MNIST ${mnist.ENV_VAR}, for CIFAR-10 ${cifar10.ENV_VAR}, then the cache)")
    for command in (fetch, verify, info):
        command.add_argument("--dataset", choices=DATA_SET_NAMES, default="fashion_mnist",
                             help="which data set (default: fashion_mnist)")
    fetch.set_defaults(run=cmd_fetch)
    verify.set_defaults(run=cmd_verify)
    info.set_defaults(run=cmd_info)
    return parser


def main(argv=None):
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError) as err:  # DataNotFoundError is an OSError
        print(f"error: {err}", file=sys.stderr)
        return 1
