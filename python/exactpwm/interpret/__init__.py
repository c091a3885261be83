"""Interpreting CNNs: the maximum-likelihood base, heuristic baselines, PWM models (Theorem 2,
numpy and torch), any CNN's first layer as PWMs, attribution maps, in-silico mutagenesis, variant
effects on kernels and models, motif comparison and logos. Never imports ``exactpwm.scanning``. Its
public modules are listed in ``__all__`` (``activation_maps``, ``attribution``, ``deeplift``,
``local_ism``, ``pwm_layer``, ``reveal_cancel`` and ``torch_model`` need torch)."""

__all__ = ["activation_maps", "attribution", "base_fit", "compare", "convert", "deeplift", "heuristic", "ism",
           "local_ism", "logo", "model_runner", "motif_discovery", "motif_patterns", "pwm_layer", "pwm_model",
           "reveal_cancel", "seqlet_similarity", "seqlets", "tomtom", "torch_model", "variant_effects"]
