"""Interpreting CNN kernels: heuristic baselines, the maximum-likelihood base, PWM models
(Theorem 2, numpy and torch), motif comparison and logos. Never imports ``exactpwm.scanning``."""
