"""The member page and its forms (REG-01 … REG-04, REG-06, REG-08, GDPR-01), one module per
page: `page` (the member page, its parts and the photo), `edit` (add and edit), `status`,
`identity` (reveal the identity number), `notes` (the correspondence log), `groups` (groups
and tags), `consents`, `household` (household move and guardians), `applications`;
`access` fetches the person and guards read-only records.

Every view is an adapter: it fetches with an explicit organisation filter (another
association's ids are 404), parses the input with a form, calls one service (one
transaction) and renders or redirects.
"""
