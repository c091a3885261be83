"""The convert job: ``exactpwm convert`` is :func:`run_convert`. Kernels -> exact PWMs (any motif
format, offsets, the PWM-layer state_dict, names from a known database), or motifs -> kernels
(.npy/.npz), or a motif file (or ``jaspar:``) -> another motif format."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from exactpwm.core.motif import MotifSet
from exactpwm.jobs.common import (
    KernelOptions,
    Log,
    MotifSource,
    OptionsError,
    check_inputs,
    check_outputs,
    kernel_motifs,
    load_motifs,
    open_text,
    stderr_log,
)

__all__ = ["ConvertOptions", "ConvertResult", "run_convert"]


@dataclass
class ConvertOptions:
    """``exactpwm convert``'s options.

    input : a kernel file (.npy/.npz/.pt/.h5/.keras), a motif file or ``jaspar:``
    output : a motif file (format from ``format`` or the extension), .npy/.npz for kernels, or
        None / '-' for MEME on stdout
    kernels : how kernel files are read and converted (base, flip, key, ...)
    offsets : also write each PWM's offset (TSV)
    equivalent : PyTorch input: also write the state_dict with the first convolution as a PWM layer
    match : name each PWM by its best significant match in a motif file or ``jaspar:``
    pseudocount : motif input: counts added before the inverse (None: none when every probability
        is > 0, else 0.1)
    """

    input: str
    output: str | None = None
    format: str | None = None
    motif_format: str | None = None
    kernels: KernelOptions = field(default_factory=KernelOptions)
    offsets: str | None = None
    equivalent: str | None = None
    match: str | None = None
    pseudocount: float | None = None
    threads: int = 0


@dataclass
class ConvertResult:
    """``report``: the lines that describe the conversion (the CLI prints them on stdout when
    ``output`` is a file, else on stderr); ``paths``: the files written."""

    report: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def run_convert(opts: ConvertOptions, *, log: Log = stderr_log) -> ConvertResult:
    """Run one conversion as ``exactpwm convert`` does."""
    from exactpwm.io.formats import FORMATS, format_from_name
    from exactpwm.io.kernels import KERNEL_EXTENSIONS

    k = opts.kernels
    check_inputs(opts.input, k.fit_base)
    check_outputs([opts.output, opts.offsets, opts.equivalent], [opts.input, k.fit_base])
    if opts.equivalent and not (opts.input.lower().endswith((".pt", ".pth", ".ckpt"))
                                and opts.equivalent.lower().endswith((".pt", ".pth"))):
        raise OptionsError("--equivalent reads a PyTorch state_dict (.pt/.pth/.ckpt) and writes one (.pt/.pth)")
    if not opts.input.lower().endswith(KERNEL_EXTENSIONS):
        return _from_motifs(opts, log)
    out = opts.output
    fmt = opts.format or (format_from_name(out) if out not in (None, "-") else "meme")
    if fmt not in FORMATS:
        raise OptionsError(f"cannot tell the motif format of {out!r}; give --format ({', '.join(FORMATS)})")
    motifs, offsets = kernel_motifs(opts.input, k, log)
    matches = _match_known(motifs, opts.match, opts.threads, log) if opts.match else {}
    written: list[str] = []
    if opts.equivalent:
        _write_equivalent(opts, float(motifs[0].meta["base"]), log)
        written.append(opts.equivalent)
    with open_text(out) as f:
        FORMATS[fmt][1](motifs, f)
    b = motifs[0].meta["base"]
    report = [f"{len(motifs)} kernels -> exact PWMs (base {b:.6g}, "
              f"{'convolution (flipped)' if k.flip else 'cross-correlation'}); conv score = log_b P(window) + offset:"]
    for m in motifs:
        known = f"\t{matches[m.name]}" if m.name in matches else ""
        report.append(f"  {m.name}\t{m.consensus()}\toffset {m.meta['offset']:.6g}{known}")
    if opts.offsets:
        with open_text(opts.offsets) as f:
            f.write("motif\toffset\tbase\tflip\n")
            for m, o in zip(motifs, offsets):
                f.write(f"{m.name}\t{o:.17g}\t{b:.17g}\t{int(k.flip)}\n")
        written.append(opts.offsets)
    if out not in (None, "-"):
        report.append(f"wrote {out} ({fmt})")
        written.append(out)
    return ConvertResult(report, written)


def _write_equivalent(opts: ConvertOptions, base: float, log: Log) -> None:
    """The state_dict with the first DNA convolution as a PWM layer (load it into the model with
    exactpwm.interpret.pwm_layer.load_equivalent)."""
    import torch

    from exactpwm.interpret.pwm_layer import equivalent_state_dict
    from exactpwm.io.files import atomic_output
    from exactpwm.io.kernels import load_kernels, read_state_dict

    assert opts.equivalent is not None
    key = load_kernels(opts.input, opts.kernels.key).key
    if not key.endswith(".weight"):
        raise OptionsError(f"--equivalent needs the convolution's '<name>.weight' entry; the kernels are at {key!r}")
    state = {name: torch.from_numpy(v) for name, v in read_state_dict(opts.input).items()}
    out = equivalent_state_dict(state, key[: -len(".weight")], base)
    with atomic_output(opts.equivalent, "wb") as f:
        torch.save(out, f)
    log(f"wrote {opts.equivalent}: the same network with {key[: -len('.weight')]!r} as a PWM layer "
        f"(base {base:.6g}); load it with exactpwm.interpret.pwm_layer.load_equivalent(model, path)")


def _match_known(motifs: MotifSet, spec: str, threads: int, log: Log) -> dict:
    """Name each converted kernel by its best significant match among ``spec`` (Tomtom's
    statistics, Pearson columns; E <= 0.1 and q <= 0.1): sets its alt name, returns a note each."""
    from exactpwm.interpret.tomtom import tomtom

    check_inputs(spec)
    targets = load_motifs(MotifSource(spec), log)
    best = tomtom(motifs, targets, threads=threads).best()
    notes = {}
    for r in best.rows:
        m, t = motifs[int(r["query"])], targets[int(r["target"])]
        label = f"{t.name} {t.alt_name}".strip()
        if r["evalue"] <= 0.1 and r["qvalue"] <= 0.1:
            m.alt_name = t.alt_name or t.name
            m.meta["match"] = f"{label} E={r['evalue']:.2g}"
            notes[m.name] = f"= {label} (E = {r['evalue']:.2g}, strand {r['strand'].decode()})"
        else:
            notes[m.name] = f"no significant match (best {label}, E = {r['evalue']:.2g})"
    return notes


def _from_motifs(opts: ConvertOptions, log: Log) -> ConvertResult:
    """A motif file -> kernels (.npy / .npz) whose conv scores are log_b P, or -> another motif
    format."""
    from exactpwm.core.transform import pwm_to_kernel
    from exactpwm.io.files import atomic_output
    from exactpwm.io.formats import FORMATS, format_from_name

    out = opts.output
    base, flip = opts.kernels.base, opts.kernels.flip
    motifs = load_motifs(MotifSource(opts.input, opts.motif_format), log)
    if out in (None, "-") or not out.lower().endswith((".npy", ".npz")):
        fmt = opts.format or (format_from_name(out) if out not in (None, "-") else "meme")
        if fmt not in FORMATS:
            raise OptionsError(f"cannot tell the format of {out!r}: motifs are written as kernels (.npy/.npz) or as "
                               f"a motif file; give --format ({', '.join(FORMATS)})")
        if opts.pseudocount:  # a motif file is rewritten as it is read, unless asked
            motifs = motifs.with_pseudocount(opts.pseudocount)
        with open_text(out) as f:
            FORMATS[fmt][1](motifs, f)
        log(f"{len(motifs)} motifs ({opts.input}) -> {fmt}" + ("" if out in (None, "-") else f"; wrote {out}"))
        return ConvertResult([], [] if out in (None, "-") else [out])
    pseudocount = opts.pseudocount
    if pseudocount is None:
        zero = [m.name for m in motifs if (m.pwm <= 0).any()]
        pseudocount = 0.1 if zero else 0.0
        if zero:
            log(f"exactpwm convert: note: {len(zero)} motifs have zero probabilities, which have no finite kernel "
                f"weight: pseudocount 0.1 added to them all (--pseudocount to choose): {', '.join(zero[:5])}"
                f"{', ...' if len(zero) > 5 else ''}")
    pwms = motifs.pwms(pseudocount)
    L = max(motifs.widths)
    if out.lower().endswith(".npy") and len(set(motifs.widths)) > 1:
        raise OptionsError(f"motifs of widths {sorted(set(motifs.widths))} do not fit one array; write .npz "
                           "(kernels zero-padded on the right, widths stored)")
    kernels = np.zeros((len(pwms), 4, L))
    for i, p in enumerate(pwms):
        kern, _ = pwm_to_kernel(p, base, flip=flip)
        if flip:  # true convolution: pad on the left so the motif stays aligned to its end
            kernels[i, :, L - p.shape[1]:] = kern
        else:
            kernels[i, :, : p.shape[1]] = kern
    with atomic_output(out, "wb") as f:
        if out.lower().endswith(".npy"):
            np.save(f, kernels)
        else:
            np.savez(f, kernels=kernels, widths=np.array(motifs.widths), names=np.array(motifs.names),
                     base=base, flip=flip)
    return ConvertResult([f"{len(pwms)} motifs -> kernels {kernels.shape} (base {base:.6g}); wrote {out}"], [out])
