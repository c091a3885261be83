"""exactpwm: the exact CNN kernel <-> PWM transformation and a fast motif scoring engine.

Conventions: alphabet ACGT (U read as T, N/IUPAC = code 4); kernels and PWMs
(K, 4, L) in the PyTorch Conv1d layout; 0-based half-open coordinates; kernels
applied by cross-correlation unless ``flip=True``; log base e unless ``base=``.
"""

from typing import TYPE_CHECKING, Any

from exactpwm._lazy import submodules

if TYPE_CHECKING:  # loaded on first use below (``exactpwm.scan`` imports the scanner then)
    from exactpwm.core.backends import BACKENDS, backends
    from exactpwm.core.layout import from_torch_layout, to_torch_layout
    from exactpwm.core.matrices import background_frequencies, counts_to_pwm, log_likelihood, log_odds
    from exactpwm.core.motif import Motif, MotifSet
    from exactpwm.core.pvalues import ScoreDistribution, benjamini_hochberg, quantize
    from exactpwm.core.scoring import MaxScores, WindowHits, conv1d, max_scores, threshold_hits
    from exactpwm.core.sequence import decode, encode, one_hot, pack, reverse_complement
    from exactpwm.core.transform import DEFAULT_BASE, kernel_to_pwm, pwm_to_kernel, reverse_complement_kernels
    from exactpwm.interpret.base_fit import BaseFit, fit_base
    from exactpwm.interpret.heuristic import HeuristicPWM, heuristic_pwm, max_possible_score
    from exactpwm.interpret.pwm_model import PWMModel, fold_batchnorm
    from exactpwm.interpret.tomtom import compare_motifs
    from exactpwm.interpret.variant_effects import KernelVariantEffects, kernel_variant_effects, model_variant_effects
    from exactpwm.io.formats import FORMATS as MOTIF_FORMATS
    from exactpwm.io.formats import MotifFormatError, read_motifs, write_motifs
    from exactpwm.io.formats.jaspardb import load_jaspar
    from exactpwm.scanning.hits import HitTable
    from exactpwm.scanning.maxima import SequenceMaxima, sequence_maxima
    from exactpwm.scanning.plan import plan_scan, score_matrices
    from exactpwm.scanning.scan import iter_scan, scan
    from exactpwm.scanning.tracks import score_tracks, write_bedgraph
    from exactpwm.scanning.variants import VariantEffects, variant_effects

__version__ = "0.1.0"

# public name -> (module, its name there), imported on first use: a command, or ``import exactpwm``,
# pays only for what it uses
_LAZY = {
    "BACKENDS": ("exactpwm.core.backends", "BACKENDS"),
    "backends": ("exactpwm.core.backends", "backends"),
    "from_torch_layout": ("exactpwm.core.layout", "from_torch_layout"),
    "to_torch_layout": ("exactpwm.core.layout", "to_torch_layout"),
    "background_frequencies": ("exactpwm.core.matrices", "background_frequencies"),
    "counts_to_pwm": ("exactpwm.core.matrices", "counts_to_pwm"),
    "log_likelihood": ("exactpwm.core.matrices", "log_likelihood"),
    "log_odds": ("exactpwm.core.matrices", "log_odds"),
    "Motif": ("exactpwm.core.motif", "Motif"),
    "MotifSet": ("exactpwm.core.motif", "MotifSet"),
    "ScoreDistribution": ("exactpwm.core.pvalues", "ScoreDistribution"),
    "benjamini_hochberg": ("exactpwm.core.pvalues", "benjamini_hochberg"),
    "quantize": ("exactpwm.core.pvalues", "quantize"),
    "MaxScores": ("exactpwm.core.scoring", "MaxScores"),
    "WindowHits": ("exactpwm.core.scoring", "WindowHits"),
    "conv1d": ("exactpwm.core.scoring", "conv1d"),
    "max_scores": ("exactpwm.core.scoring", "max_scores"),
    "threshold_hits": ("exactpwm.core.scoring", "threshold_hits"),
    "decode": ("exactpwm.core.sequence", "decode"),
    "encode": ("exactpwm.core.sequence", "encode"),
    "one_hot": ("exactpwm.core.sequence", "one_hot"),
    "pack": ("exactpwm.core.sequence", "pack"),
    "reverse_complement": ("exactpwm.core.sequence", "reverse_complement"),
    "DEFAULT_BASE": ("exactpwm.core.transform", "DEFAULT_BASE"),
    "kernel_to_pwm": ("exactpwm.core.transform", "kernel_to_pwm"),
    "pwm_to_kernel": ("exactpwm.core.transform", "pwm_to_kernel"),
    "reverse_complement_kernels": ("exactpwm.core.transform", "reverse_complement_kernels"),
    "BaseFit": ("exactpwm.interpret.base_fit", "BaseFit"),
    "fit_base": ("exactpwm.interpret.base_fit", "fit_base"),
    "HeuristicPWM": ("exactpwm.interpret.heuristic", "HeuristicPWM"),
    "heuristic_pwm": ("exactpwm.interpret.heuristic", "heuristic_pwm"),
    "max_possible_score": ("exactpwm.interpret.heuristic", "max_possible_score"),
    "PWMModel": ("exactpwm.interpret.pwm_model", "PWMModel"),
    "fold_batchnorm": ("exactpwm.interpret.pwm_model", "fold_batchnorm"),
    "compare_motifs": ("exactpwm.interpret.tomtom", "compare_motifs"),
    "KernelVariantEffects": ("exactpwm.interpret.variant_effects", "KernelVariantEffects"),
    "kernel_variant_effects": ("exactpwm.interpret.variant_effects", "kernel_variant_effects"),
    "model_variant_effects": ("exactpwm.interpret.variant_effects", "model_variant_effects"),
    "MOTIF_FORMATS": ("exactpwm.io.formats", "FORMATS"),
    "MotifFormatError": ("exactpwm.io.formats", "MotifFormatError"),
    "read_motifs": ("exactpwm.io.formats", "read_motifs"),
    "write_motifs": ("exactpwm.io.formats", "write_motifs"),
    "load_jaspar": ("exactpwm.io.formats.jaspardb", "load_jaspar"),
    "HitTable": ("exactpwm.scanning.hits", "HitTable"),
    "SequenceMaxima": ("exactpwm.scanning.maxima", "SequenceMaxima"),
    "sequence_maxima": ("exactpwm.scanning.maxima", "sequence_maxima"),
    "plan_scan": ("exactpwm.scanning.plan", "plan_scan"),
    "score_matrices": ("exactpwm.scanning.plan", "score_matrices"),
    "iter_scan": ("exactpwm.scanning.scan", "iter_scan"),
    "scan": ("exactpwm.scanning.scan", "scan"),
    "score_tracks": ("exactpwm.scanning.tracks", "score_tracks"),
    "write_bedgraph": ("exactpwm.scanning.tracks", "write_bedgraph"),
    "VariantEffects": ("exactpwm.scanning.variants", "VariantEffects"),
    "variant_effects": ("exactpwm.scanning.variants", "variant_effects"),
}
_subpackage = submodules(__name__, ("app", "core", "interpret", "io", "jobs", "scanning"))


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    return _subpackage(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "BACKENDS",
    "BaseFit",
    "HitTable",
    "ScoreDistribution",
    "SequenceMaxima",
    "HeuristicPWM",
    "DEFAULT_BASE",
    "MaxScores",
    "MOTIF_FORMATS",
    "Motif",
    "PWMModel",
    "MotifFormatError",
    "MotifSet",
    "VariantEffects",
    "KernelVariantEffects",
    "kernel_variant_effects",
    "model_variant_effects",
    "WindowHits",
    "background_frequencies",
    "backends",
    "benjamini_hochberg",
    "compare_motifs",
    "conv1d",
    "counts_to_pwm",
    "decode",
    "encode",
    "fit_base",
    "fold_batchnorm",
    "heuristic_pwm",
    "from_torch_layout",
    "iter_scan",
    "variant_effects",
    "kernel_to_pwm",
    "load_jaspar",
    "log_likelihood",
    "log_odds",
    "max_possible_score",
    "max_scores",
    "one_hot",
    "pack",
    "plan_scan",
    "pwm_to_kernel",
    "quantize",
    "read_motifs",
    "reverse_complement",
    "reverse_complement_kernels",
    "scan",
    "score_matrices",
    "score_tracks",
    "sequence_maxima",
    "threshold_hits",
    "to_torch_layout",
    "write_bedgraph",
    "write_motifs",
]
