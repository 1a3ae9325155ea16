"""Payments (PAY-01 …): money received, placed on invoices or credit balances, booked in the
journal; reversed by a voucher, never deleted."""
