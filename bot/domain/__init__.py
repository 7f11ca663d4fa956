"""The domain: rules about members, invitations and registration.

Nothing in this package imports `telegram`; it takes repositories and a clock,
so tests run it against a real database with a fake clock.
"""
