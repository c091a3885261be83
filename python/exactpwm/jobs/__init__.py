"""Jobs: each command of ``exactpwm`` as one library call, from inputs named by path to the files
written. The CLI parses its arguments into a job's options and makes that call; a Python program,
a workflow rule or a Dask task can make the same call::

    from exactpwm.jobs import MotifSource, ScanOptions, run_scan
    run_scan(ScanOptions(MotifSource("jaspar:"), "genome.fa.gz", output="hits.tsv", pvalue=1e-5))

Options that do not fit together raise :class:`OptionsError` (a ValueError); bad input files raise
the same errors as the rest of the API.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exactpwm.jobs.attribute import AttributeOptions, AttributeResult, run_attribute
    from exactpwm.jobs.common import KernelOptions, MotifSource, OptionsError, load_motifs
    from exactpwm.jobs.compare import CompareOptions, CompareResult, LogoOptions, run_compare, run_logo
    from exactpwm.jobs.convert import ConvertOptions, ConvertResult, run_convert
    from exactpwm.jobs.fimo import FimoOptions, FimoResult, run_fimo
    from exactpwm.jobs.gia import GiaOptions, GiaResult, run_gia
    from exactpwm.jobs.modisco import ModiscoOptions, ModiscoResult, run_modisco
    from exactpwm.jobs.scan import ScanOptions, ScanResult, run_scan
    from exactpwm.jobs.track import TrackOptions, TrackResult, run_track
    from exactpwm.jobs.variants import VariantsOptions, VariantsResult, run_variants

# each name's module, imported on first use (``exactpwm --help`` and a command load only their own)
_WHERE = {
    "attribute": ["AttributeOptions", "AttributeResult", "run_attribute"],
    "common": ["KernelOptions", "MotifSource", "OptionsError", "load_motifs"],
    "compare": ["CompareOptions", "CompareResult", "LogoOptions", "run_compare", "run_logo"],
    "convert": ["ConvertOptions", "ConvertResult", "run_convert"],
    "fimo": ["FimoOptions", "FimoResult", "run_fimo"],
    "gia": ["GiaOptions", "GiaResult", "run_gia"],
    "modisco": ["ModiscoOptions", "ModiscoResult", "run_modisco"],
    "scan": ["ScanOptions", "ScanResult", "run_scan"],
    "track": ["TrackOptions", "TrackResult", "run_track"],
    "variants": ["VariantsOptions", "VariantsResult", "run_variants"],
}
_MODULE = {name: module for module, names in _WHERE.items() for name in names}
_SUBMODULES = {"common", "compare", "convert", "fimo", "gia", "merge", "modisco", "modisco_report", "scan", "track",
               "variants", "attribute"}

__all__ = ["AttributeOptions", "AttributeResult", "run_attribute", "CompareOptions", "CompareResult",
           "ConvertOptions", "ConvertResult", "FimoOptions", "FimoResult", "GiaOptions", "GiaResult", "KernelOptions",
           "LogoOptions", "ModiscoOptions", "ModiscoResult", "MotifSource", "OptionsError", "ScanOptions",
           "ScanResult", "TrackOptions", "TrackResult", "VariantsOptions", "VariantsResult", "load_motifs",
           "run_compare", "run_convert", "run_fimo", "run_gia", "run_logo", "run_modisco", "run_scan", "run_track",
           "run_variants", "common", "compare", "convert", "fimo", "gia", "modisco", "modisco_report", "scan",
           "track", "variants"]


def __getattr__(name: str) -> Any:
    import importlib

    if name in _MODULE:
        return getattr(importlib.import_module(f"{__name__}.{_MODULE[name]}"), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
