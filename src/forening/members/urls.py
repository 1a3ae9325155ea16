"""The member register's pages, inside the "org" namespace (/o/<org_slug>/…)."""

from django.urls import URLPattern

from forening.members import urls_import, urls_member, urls_privacy, urls_search

urlpatterns: list[URLPattern] = [
    *urls_search.urlpatterns,
    *urls_member.urlpatterns,
    *urls_import.urlpatterns,
    *urls_privacy.urlpatterns,
]
