"""Sphinx configuration: the pages are Markdown (MyST), the API reference comes from the docstrings."""

project = "exactpwm"
author = "the exactpwm developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
napoleon_numpy_docstring = True
napoleon_google_docstring = False
autodoc_typehints = "none"  # the signature shows the names; the docstrings state shapes and dtypes
autodoc_member_order = "bysource"
myst_heading_anchors = 3
html_theme = "alabaster"

try:  # the PWM-layer pages document torch modules; without torch they are built from mocks
    import torch  # noqa: F401
except ImportError:
    autodoc_mock_imports = ["torch"]
