"""Input and output: FASTA, motif file formats, kernel files, and safe output files."""
