"""Plugin machinery: manifest, registry (discovery + quarantine), per-municipality state."""
