"""E-mail digests: subscriptions (double opt-in), composing, rendering and crash-safe sending.

Modules: ``topics`` (what subscribers follow), ``compose`` (which papers each one gets),
``render`` (template files → mail), ``send`` / ``delivery`` / ``sendlog`` (the run and its
send log), ``subscriptions`` and ``tokens`` (opt-in, preferences, unsubscribe), ``tasks``
(the worker's schedule).
"""
