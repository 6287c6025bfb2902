"""The native CARP search (mash_wintersmart/routing/_carp_search.c): a C library called through
ctypes (routing/native.py), built as an (empty) extension module so that it installs like one.
Installing the plugin needs a C compiler and the Python headers; everything else about the
distribution is in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "mash_wintersmart.routing._carp_search",
    sources=["mash_wintersmart/routing/_carp_search.c"],
    extra_compile_args=["-O3"],
)])
