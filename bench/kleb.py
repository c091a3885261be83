"""The Klebsiella pneumoniae Kp1084 assembly the benchmarks read (Debian's kleborate-examples)."""
import lzma
import os
import sys

PATH = "/usr/share/doc/kleborate/examples/data/Klebs_Kp1084.fna.xz"


def open_kleb(mode: str = "rb"):
    """The xz-compressed FASTA opened for reading (mode "rb" or "rt"); exits with a message naming the
    Debian package when it is not installed."""
    if not os.path.exists(PATH):
        sys.exit(f"{PATH} is missing: install Debian's kleborate-examples (apt-get install kleborate-examples)")
    return lzma.open(PATH, mode)
