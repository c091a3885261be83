"""Interpreting CNNs: the maximum-likelihood base, heuristic baselines, PWM models (Theorem 2,
numpy and torch), any CNN's first layer as PWMs, attribution maps, in-silico mutagenesis, variant
effects on kernels and models, motif comparison and logos. Never imports ``exactpwm.scanning``. Its
public modules are listed in ``__all__`` (``activation_maps``, ``attribution``, ``deeplift``,
``local_ism``, ``pwm_layer``, ``reveal_cancel``, ``torch_model``, ``deep_resolve``, ``gradient_ascent`` and
``input_reconstruction`` need torch). Hypotheses tested on a model: global importance analysis
(``gia``, ``null_models``, ``edited_outputs``), DeepResolve, input reconstruction and pairwise ISM."""

from exactpwm._lazy import submodules

__all__ = ["activation_maps", "attribution", "base_fit", "compare", "convert", "deep_resolve", "deep_resolve_plots",
           "deeplift", "edited_outputs", "gia", "gia_plots", "gradient_ascent", "heuristic", "input_reconstruction",
           "ism", "local_ism", "logo", "model_runner", "motif_discovery", "motif_patterns", "null_models",
           "pairwise_ism", "pwm_layer", "pwm_model", "reveal_cancel", "seqlet_similarity", "seqlets", "tomtom",
           "torch_model", "variant_effects"]

__getattr__ = submodules(__name__, __all__)  # each public module loads on first use
