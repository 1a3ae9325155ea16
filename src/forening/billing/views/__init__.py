"""The office pages of invoicing (INV-01 … INV-05, ACC-03), one module per page family:
`invoices` (the list, the invoice page with its credit notes and reminders, a manual
invoice), `runs` (billing runs with a preview), `settings`, `pdf` and `reports`.

Every view is an adapter: it fetches with an explicit organisation filter (another
association's ids are 404), asks the policy ("billing.view" to look, "billing.manage" to
act), parses the input with a form, calls one service and renders or redirects. A
service's BillingError becomes a form error. The list pages run a fixed number of queries
however many rows they show. The payment pages are the payments app's; they share
`common` with these.
"""
