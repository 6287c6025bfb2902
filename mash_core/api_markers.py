"""The pluggy marker, kept apart so that core modules and the facade share one object."""

import pluggy

hookimpl = pluggy.HookimplMarker("mash")
