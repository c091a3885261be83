"""``exactpwm variants``: what each variant of a VCF does to every motif's best match.

Parses the options, calls :func:`exactpwm.scanning.variants.variant_effects` and writes its table.
"""

from __future__ import annotations

import argparse
import sys

from exactpwm.app.cli import (
    UsageError,
    _add_model_args,
    _add_motif_args,
    _background,
    _check_input,
    _check_outputs,
    _command_line,
    _load_motifs,
    _number,
    _open_out,
    _pseudocount,
    _threads,
)

_pvalue = _number("p-value threshold", low=0, low_open=True, high=1)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "variants", help="what each variant (VCF) does to every motif: best match on REF and ALT, gain/loss",
        description="For each variant of a VCF/BCF, ALT allele and motif: the best window overlapping the variant "
                    "on the reference and on the alternative haplotype (both strands), the score change, and a "
                    "call: gain (only ALT is a hit), loss (only REF), change (both). Multi-allelic sites are "
                    "split; variants that cannot be scored are counted on stderr.")
    p.add_argument("motifs", help="motif file, 'jaspar:...', a CNN's kernels (.npy/.npz/.pt/.h5, converted "
                                  "exactly with --base; --activations for their activations), or a whole model "
                                  "saved by torch.export (.pt2): its outputs on REF and ALT")
    p.add_argument("genome", help="indexed genome FASTA (plain, or bgzip with .fai/.gzi; needs pysam)")
    p.add_argument("vcf", help="VCF or BCF, plain or bgzip (any order, no index needed)")
    p.add_argument("-o", "--output", help="TSV file (default: stdout)")
    p.add_argument("--vcf-out", metavar="VCF", help="also write the input VCF with an EXACTPWM INFO field per "
                                                     "variant (ALT|motif|call|delta; .gz: bgzip, .bcf: BCF)")
    p.add_argument("--thresh", type=_pvalue, default=1e-4, help="p-value of a hit (default: %(default)g)")
    p.add_argument("--all", action="store_true", help="a row for every variant and motif, hits or not")
    p.add_argument("--activations", action="store_true",
                   help="with a kernel file: each kernel's maximum activation (bias included) over the windows "
                        "overlapping the variant, on REF and on ALT, and their difference, one row per variant "
                        "and kernel, instead of motif matches")
    p.add_argument("--strand", choices=["+", "both"], default="+",
                   help="--activations: the layer as it runs ('+'), or the better of each window and its reverse "
                        "complement ('both', for models that scan both strands)")
    p.add_argument("--min-delta", type=_number("--min-delta", low=0), default=0.0,
                   help="--activations and models: only rows whose |delta| reaches this (default: every row)")
    p.add_argument("--length", type=_number("--length", low=1, integer=True),
                   help="a .pt2 model: its input length, when the export leaves it open (default: the exported one); "
                        "the window starts (length - 1) // 2 bases before the variant")
    _add_motif_args(p)
    bg = p.add_mutually_exclusive_group()
    bg.add_argument("--bgfile", help="0-order background file (default: the motif file's)")
    bg.add_argument("--uniform", action="store_true", help="uniform background")
    p.add_argument("--pseudocount", type=_number("--pseudocount", low=0),
                   default=None, help="pseudocount on the motifs' counts (default: 0.1, as scan)")
    p.add_argument("-j", "--threads", type=_threads, default=0, help="threads (default 0 = all cores)")
    p.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    _add_model_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exactpwm.io.tables import write_tsv
    from exactpwm.scanning.variants import _SKIP_REASONS, variant_effects

    for path in (args.motifs, args.genome, args.vcf):
        _check_input(path)
    _check_outputs([args.output, args.vcf_out], args.motifs, args.genome, args.vcf)
    import warnings

    if args.activations:
        table, skipped, examples = _activations(args)
    elif args.motifs.lower().endswith(".pt2"):
        table, skipped, examples = _model_outputs(args)
    else:
        motifs = _load_motifs(args.motifs, args.motif_format, args.motif, args)
        bg = _background(args, motifs)
        motifs, pseudocount = _pseudocount(args, motifs, bg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the skips are reported below, one line each
            eff = variant_effects(motifs, args.genome, args.vcf, pvalue=args.thresh, background=bg,
                                  pseudocount=pseudocount, report="all" if args.all else "hits",
                                  threads=args.threads, backend=args.backend)
        table, skipped, examples = eff.table, eff.skipped, eff.examples
    for reason, n in skipped.items():
        print(f"exactpwm variants: {n} variants not scored: {_SKIP_REASONS[reason]} "
              f"(e.g. {', '.join(examples.get(reason, []))})", file=sys.stderr)
    with _open_out(args.output) as f:
        write_tsv(table, f, backend=args.backend)
        f.write(f"# {_command_line(args.argv)}\n")
    if args.vcf_out:
        eff.write_vcf(args.vcf, args.vcf_out)
        print(f"wrote {args.vcf_out}", file=sys.stderr)
    if args.output not in (None, "-"):
        print(f"wrote {args.output}: {len(table):,} rows", file=sys.stderr)
    return 0


def _activations(args: argparse.Namespace):
    """(table, skipped, examples) of kernel_variant_effects for the kernel file args.motifs."""
    import warnings

    from exactpwm.interpret.convert import load_first_layer
    from exactpwm.io.kernels import KERNEL_EXTENSIONS
    from exactpwm.scanning.variants import kernel_variant_effects

    if not args.motifs.lower().endswith(KERNEL_EXTENSIONS):
        raise UsageError(f"--activations reads a CNN's kernels ({', '.join(KERNEL_EXTENSIONS)}); "
                         f"{args.motifs} is not a kernel file")
    if args.vcf_out or args.all:
        raise UsageError("--vcf-out and --all are for motif matches, not --activations")
    W, bias = load_first_layer(args.motifs, key=args.key, layout=args.layout, bias_key=args.bias_key,
                               use_bias=args.bias, batchnorm=args.batchnorm, bn_eps=args.bn_eps,
                               dilation=args.dilation)
    if args.flip:  # true convolution: the kernels read right to left
        W = W[:, :, ::-1]
    names = [n.strip() for n in args.names.split(",")] if args.names else [f"{args.prefix}{i}" for i in range(len(W))]
    if len(names) != len(W):
        raise UsageError(f"--names gives {len(names)} names for {len(W)} kernels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skips are reported by the caller
        eff = kernel_variant_effects(W, args.genome, args.vcf, bias, strand=args.strand, threads=args.threads,
                                     backend=args.backend)
    return _per_variant_table(eff, names, "kernel", "activation", args.min_delta), eff.skipped, eff.examples


def _model_outputs(args: argparse.Namespace):
    """(table, skipped, examples) of model_variant_effects for the exported model args.motifs."""
    import warnings

    from exactpwm.scanning.variants import model_variant_effects

    if args.vcf_out or args.all or args.activations:
        raise UsageError("--vcf-out, --all and --activations are not for a model's outputs")
    model, batch, length = _exported_model(args.motifs)
    if args.length is not None and length is not None and args.length != length:
        raise UsageError(f"{args.motifs} was exported for inputs of {length} bases, not --length {args.length}")
    length = length or args.length
    if length is None:
        raise UsageError(f"{args.motifs} takes inputs of any length: give --length")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skips are reported by the caller
        eff = model_variant_effects(model, args.genome, args.vcf, length, batch=batch or 256, threads=args.threads)
    names = [str(i) for i in range(eff.ref.shape[1])]
    return _per_variant_table(eff, names, "output", "output", args.min_delta), eff.skipped, eff.examples


def _exported_model(path: str):
    """(torch module, fixed batch size or None, fixed input length or None) of a torch.export file."""
    try:
        import torch
    except ImportError:
        raise UsageError(f"{path}: a .pt2 model needs PyTorch (pip install torch)") from None
    import logging

    quiet = logging.getLogger("torch.export")  # torch logs a traceback of its first try at a bad file
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        program = torch.export.load(path)
    except Exception as exc:  # torch raises many kinds; the message says which file and why
        raise UsageError(f"{path}: cannot load it as a model saved by torch.export.save ({exc})") from None
    finally:
        quiet.setLevel(level)
    users = set(program.graph_signature.user_inputs)
    shapes = [n.meta["val"].shape for n in program.graph.nodes if n.op == "placeholder" and n.name in users]
    if len(shapes) != 1 or len(shapes[0]) != 3 or shapes[0][1] != 4:
        raise UsageError(f"{path}: the model must take one one-hot input (B, 4, length); it takes "
                         f"{[tuple(x) for x in shapes]}")
    batch, _, length = (d if isinstance(d, int) else None for d in shapes[0])
    module = program.module()
    return (_fixed_batch(module, batch) if batch else module), batch, length


def _per_variant_table(eff, names: list[str], what: str, value: str, min_delta: float):
    """See :meth:`exactpwm.scanning.variants.KernelVariantEffects.to_pandas`."""
    return eff.to_pandas(names, what=what, value=value, min_delta=min_delta)


def _fixed_batch(inner, size: int):
    """``inner``, exported for batches of ``size`` rows, as a module that takes fewer: padded with
    zero rows, then cut."""
    import torch

    class FixedBatch(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            n = x.shape[0]
            if n == size:
                return self.inner(x)
            pad = torch.zeros((size - n,) + tuple(x.shape[1:]), dtype=x.dtype)
            return self.inner(torch.cat([x, pad]))[:n]

    return FixedBatch()
