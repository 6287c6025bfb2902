"""mash-sdk: tools for MAsH plugin authors.

``mash-sdk docs``   generate ``docs/reference/hooks.md`` and ``slots.md`` from the core's code;
``mash-sdk check``  validate a plugin distribution before it is installed anywhere;
``mash-sdk new``    scaffold a ready plugin distribution.
"""

__version__ = "0.1.0"
