"""Bürgerportal: the city's service information bundled by life situation, and its citizen offices."""
