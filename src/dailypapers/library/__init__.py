"""The personal library: saves, collections, tags, notes, read state, follows, import/export,
and a user's own data (export of everything, account deletion, email change).

No HTTP here: ``web/api/library.py`` and ``web/pages/library.py`` call these services, the CLI
calls them from ``cli/library_cmd.py``. Services never commit; the caller owns the transaction.
Reads used by list pages ("which of these papers are saved / read") live in
``store/queries/library.py``.
"""
