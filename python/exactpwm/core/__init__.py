"""The shared core: sequences, the kernel <-> PWM transform, matrices, motifs, scoring, p-values.

Imports only the private engine layer (``exactpwm._engine``) and numpy.
"""
