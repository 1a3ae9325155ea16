"""The books' pages, inside the "org" namespace (/o/<org_slug>/…)."""

from django.urls import path

from forening.ledger import views

urlpatterns = [
    path("office/books/", views.books, name="books"),
    path("office/books/method/", views.accounting_method, name="accounting-method"),
    path("office/books/accounts/", views.accounts, name="accounts"),
    path("office/books/journal/", views.journal, name="journal"),
    path("office/books/years/<int:year_id>/sie/", views.sie_download, name="sie-export"),
]
