"""The version: read by the build, by ``agentlog.__version__`` and by ``agentlog --version``."""

__version__ = "0.1.0"
