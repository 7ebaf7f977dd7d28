"""Pricing, funding programmes, invoices and payments."""
