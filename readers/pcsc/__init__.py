"""PC/SC readers through pcscd (pyscard): profiles, discovery, card reading and the watcher.

Only ``profiles`` is import-light; the other modules import pyscard, so callers import them
when a ``pcsc://`` reader is actually used.
"""
