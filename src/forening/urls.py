"""The URL hub: every app's pages, mounted here and nowhere else.

Pages inside one association live under /o/<org_slug>/ in the "org" namespace; each app
lists its own in `<app>/urls.py`. Adding an app's pages means adding one line below.
"""

from django.conf import settings
from django.urls import include, path

from forening.billing import urls as billing_urls
from forening.core.views import health, home, language
from forening.households import urls as household_urls
from forening.ledger import urls as ledger_urls
from forening.members import urls as member_urls
from forening.office import urls as office_urls
from forening.payments import urls as payment_urls
from forening.portal import urls as portal_urls
from forening.web import urls as web_urls

# /o/<org_slug>/…: the office (office/…), the register (office/members/…,
# office/register/…, office/households/…), the books (office/books/…), invoicing and
# payments (office/billing/…), the leader pages (leader/…) and My pages (my/…).
org_urlpatterns = [
    *office_urls.urlpatterns,
    *portal_urls.urlpatterns,
    *member_urls.urlpatterns,
    *household_urls.urlpatterns,
    *ledger_urls.urlpatterns,
    *billing_urls.urlpatterns,
    *payment_urls.urlpatterns,
]

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("language/", language.set_language, name="set-language"),
    path("accounts/", include("forening.core.urls_accounts")),
    path("o/<slug:org_slug>/", include((org_urlpatterns, "org"))),
    *web_urls.urlpatterns,
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
