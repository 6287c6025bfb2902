"""MAsH core. Plugins import only :mod:`mash_core.api`; everything else here is internal."""

__version__ = "0.1.0"
#: Version of the plugin API (the facade and the hook contract), versioned apart from the core.
PLUGIN_API_VERSION = "1.2"
