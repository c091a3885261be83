"""exactpwm: the exact CNN kernel <-> PWM transformation and a fast motif scoring engine.

Conventions: alphabet ACGT (U read as T, N/IUPAC = code 4); kernels and PWMs
(K, 4, L) in the PyTorch Conv1d layout; 0-based half-open coordinates; kernels
applied by cross-correlation unless ``flip=True``; log base e unless ``base=``.
"""

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
