"""Privacy: retention (purge), data export and account deletion (GDPR).

Sits above every domain (like reports): it reads accounts, bookings and core tables.
Higher-level packages that hold personal data of their own (billing's invoices) take part
through ``core.hooks`` under the names in ``privacy.services`` (``HOOK_*``).
"""
