from forening.core.views.office import dashboard

my_pages = person_edit = dashboard
