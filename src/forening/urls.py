from django.conf import settings
from django.urls import include, path

from forening.billing import views_public as billing_public
from forening.core.views import health, home, language

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("language/", language.set_language, name="set-language"),
    path("accounts/", include("forening.core.urls_accounts")),
    path("o/<slug:org_slug>/", include("forening.core.urls_org")),
    # The invoice link in e-mails (signed, no sign-in).
    path("invoice/<str:token>/", billing_public.invoice_link, name="invoice-link"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
