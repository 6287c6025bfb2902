"""WSGI entry point for production servers.

    MASH_INSTANCE=/srv/mash/instance gunicorn -w 4 -b 127.0.0.1:8000 'mash_core.wsgi:app'

Each worker builds its own application from the environment (``MASH_INSTANCE``,
``MASH_DATABASE_URL``, …); web workers hold no state of their own and never run the scheduler.
"""

from .app import create_app

app = create_app()
