"""The portal shell: request lifecycle, slots rendering, security headers, core pages."""
