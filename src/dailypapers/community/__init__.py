"""Community: accounts, API tokens, submissions, upvotes, comments, claims and trending.

Writes live in the service modules here; ``auth`` holds the FastAPI dependencies that every
area uses (``current_user``, ``require_user``, ``require_admin``).
"""
