"""Get, check and describe Fashion-MNIST, MNIST and CIFAR-10 for minicnn.

    python datasets.py fetch     # apt-get install dataset-fashion-mnist (root) or download
    python datasets.py verify    # checksums and IDX structure of the four files
    python datasets.py info      # where the data is, shapes, class counts, pixel statistics
    python datasets.py fetch --dataset cifar10    # MNIST, CIFAR-10: download, checksum-verified

Each command takes ``--dataset fashion_mnist|mnist|cifar10``, ``--path DIR`` and ``--help``. The work is done in
``minicnn.datasets.cli``; this file only hands over the command line.
"""
import sys

from minicnn.datasets.cli import main

if __name__ == "__main__":
    sys.exit(main())
