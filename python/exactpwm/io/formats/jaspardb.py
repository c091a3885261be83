"""JASPAR motifs straight from the database that the ``pyjaspar`` package ships (extra ``jaspar``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from exactpwm.core.errors import NotFoundError
from exactpwm.core.motif import Motif, MotifSet

__all__ = ["load_jaspar", "load_jaspar_spec", "DEFAULT_RELEASE"]

DEFAULT_RELEASE = "JASPAR2024"


def load_jaspar(ids: Sequence[str] | None = None, *, release: str = DEFAULT_RELEASE, collection: str = "CORE",
                tax_group: str | Sequence[str] | None = "vertebrates", min_width: int = 0,
                all_versions: bool = False) -> MotifSet:
    """JASPAR count matrices as a :class:`MotifSet` (names = matrix ids, alt names = TF names).

    Parameters
    ----------
    ids : list of str, optional
        Matrix ids such as ``["MA0139.1"]`` (then collection and tax_group are ignored);
        default: the whole ``collection`` for ``tax_group`` (None: every taxon).
    release : str
        A JASPAR release pyjaspar ships (``JASPAR2014`` ... ``JASPAR2024``, newer with newer pyjaspar).
    min_width : int
        Keep only motifs at least this wide.
    """
    try:
        from pyjaspar import jaspardb
    except ImportError:
        raise ImportError("loading JASPAR by name needs pyjaspar: pip install 'exactpwm[jaspar]' "
                          "(or read a downloaded .jaspar/.meme file with exactpwm.read_motifs)") from None
    db = jaspardb(release=release)
    if release not in db.get_releases():
        raise ValueError(f"unknown JASPAR release {release!r}; pyjaspar has {', '.join(db.get_releases())}")
    if ids is not None:
        found = []
        for i in ids:
            m = db.fetch_motif_by_id(i)
            if m is None:
                raise NotFoundError(f"no JASPAR matrix {i!r} in {release}")
            found.append(m)
    else:
        groups = [tax_group] if isinstance(tax_group, str) else tax_group
        found = db.fetch_motifs(collection=collection, tax_group=groups, all_versions=all_versions)
    motifs = []
    for m in found:
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64)
        if counts.shape[1] >= min_width:
            motifs.append(Motif.from_counts(m.matrix_id, counts, alt_name=m.name.replace(" ", "_"),
                                            pseudocount=0.0 if (counts.sum(axis=0) > 0).all() else 1e-9))
    if not motifs:
        raise ValueError(f"no JASPAR motifs match (release {release}, collection {collection}, "
                         f"tax_group {tax_group}, min_width {min_width})")
    return MotifSet(motifs, None, f"{release}:{collection}")


def load_jaspar_spec(spec: str) -> MotifSet:
    """Motifs named by a ``jaspar:`` spec (the prefix optional): empty for the CORE vertebrates;
    comma- or space-separated tokens: a release (``JASPAR2022``), matrix ids (``MA0139.1``),
    a taxon (``insects``) or ``all`` (every taxon)."""
    import re

    spec = spec[len("jaspar:"):] if spec.startswith("jaspar:") else spec
    release, ids = DEFAULT_RELEASE, []
    taxon: str | None = "vertebrates"
    for tok in filter(None, re.split(r"[,\s]+", spec)):
        if tok.upper().startswith("JASPAR"):
            release = tok.upper()
        elif re.fullmatch(r"[A-Z]{2}\d{4}(\.\d+)?", tok):
            ids.append(tok)
        else:
            taxon = None if tok == "all" else tok
    return load_jaspar(ids or None, release=release, tax_group=taxon)
