"""HypnoScript for Python: the language, its toolchain and its project runtime."""

__version__ = "1.1.0"
