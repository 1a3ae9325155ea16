"""Invoicing (INV-01 … INV-05): billing runs on the fee engine, invoices with Bankgirot OCR
references and Swish QR codes, credit notes, reminders and the member ledger."""
