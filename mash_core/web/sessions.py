"""Flask's signed-cookie sessions, with the signing serializer built once per application
instead of on every request (it showed up in the portal benchmark's profile)."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app):
        key = app.secret_key
        cached = app.extensions.get("mash_session_serializer")
        if cached is None or cached[0] != key:
            cached = (key, super().get_signing_serializer(app))
            app.extensions["mash_session_serializer"] = cached
        return cached[1]
