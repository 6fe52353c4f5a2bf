"""``python -m minicnn tutorials DIR``: copy the course notebooks into a folder of your own.

The notebooks' source is the repository's ``tutorials/`` folder. ``setup.cfg`` lists
them as data files, so ``pip install minicnn`` puts a copy in
``<prefix>/share/minicnn/tutorials`` (``<prefix>`` is the environment's, or the user
base for ``pip install --user``); in a source checkout (``pip install -e .``) they are
read from ``tutorials/`` itself. The notebooks import their helpers and checkers from
the package, so the copies run from any folder.
"""
import shutil
import site
import sys
import sysconfig
from pathlib import Path

SHARE = Path("share") / "minicnn" / "tutorials"
COPIED = ["*.ipynb", "README.md", "solutions/*.py", "solutions/tasks/*.py"]


def candidates():
    """Folders that may hold the notebooks, the source checkout first."""
    checkout = Path(__file__).resolve().parents[2] / "tutorials"
    prefixes = [sysconfig.get_path("data"), sys.prefix, site.getuserbase()]
    return list(dict.fromkeys([checkout, *(Path(prefix) / SHARE for prefix in prefixes)]))


def find_notebooks():
    """The first folder that holds the course's notebooks; FileNotFoundError when none does."""
    for folder in candidates():
        if sorted(folder.glob("00_*.ipynb")):
            return folder
    raise FileNotFoundError("The tutorial notebooks are not installed; looked in: "
                            + ", ".join(str(folder) for folder in candidates())
                            + ". Reinstall minicnn with pip, or get them from the repository's tutorials/.")


def copy_tutorials(destination, overwrite=False):
    """Copy the notebooks, their README and the solutions into ``destination``; returns the paths."""
    source, destination = find_notebooks(), Path(destination)
    files = sorted(path for pattern in COPIED for path in source.glob(pattern))
    targets = [destination / path.relative_to(source) for path in files]
    existing = [str(target) for target in targets if target.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{len(existing)} notebook files are already in {destination} "
                              f"(e.g. {existing[0]}); pass --overwrite to replace them.")
    for path, target in zip(files, targets):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return targets


def add_parser(sub):
    parser = sub.add_parser("tutorials", help="copy the course notebooks into a folder",
                            description="Copy minicnn's course notebooks (with their README and the "
                            "exercise solutions) into DIR, then: jupyter lab DIR")
    parser.add_argument("directory", metavar="DIR", help="where to put the notebooks (created if missing)")
    parser.add_argument("--overwrite", action="store_true", help="replace notebooks already there")
    parser.set_defaults(run=run)


def run(args):
    try:
        targets = copy_tutorials(args.directory, overwrite=args.overwrite)
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Copied {len(targets)} files into {args.directory}. Open them with: jupyter lab {args.directory}")
    return 0
