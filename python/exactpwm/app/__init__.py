"""The application on top: the command line, the built-in demo and its example data."""
