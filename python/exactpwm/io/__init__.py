"""Input and output: FASTA, motif file formats, kernel files, VCF, htslib checks, tables, and safe
output files. Its public modules are listed in ``__all__``."""

from exactpwm._lazy import submodules

__all__ = ["bigwig", "fasta", "files", "formats", "htsfiles", "kernels", "modisco_h5", "npz", "tables", "vcf"]

__getattr__ = submodules(__name__, __all__)  # each public module loads on first use
