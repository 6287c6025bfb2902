"""``wtest``: a small plugin that exercises the worker (jobs, subscriptions, events) in tests
and in ``bench/ingest.py``. Loaded without installation through
``MASH_EXTRA_PLUGINS="wtest=mash_wtest.plugin"`` with ``tests/worker_plugin`` on the path."""
