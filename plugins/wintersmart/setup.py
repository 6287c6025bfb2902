"""The native CARP search (mash_wintersmart/routing/_carp_search.c): a plain C library without
Python API, loaded with ctypes (routing/native.py). Built here so that installing the plugin needs
nothing but a C compiler; everything else about the distribution is in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "mash_wintersmart.routing._carp_search",
    sources=["mash_wintersmart/routing/_carp_search.c"],
    extra_compile_args=["-O3"],
    libraries=["m"],
)])
