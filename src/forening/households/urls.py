"""The household pages, inside the "org" namespace: /o/<org_slug>/office/households/…"""

from django.urls import path

from forening.households import views

urlpatterns = [
    path("office/households/<int:household_id>/", views.household_edit, name="household"),
]
