from django.urls import path

from apps.frontend import views

urlpatterns = [
    path("", views.guest_page, name="guest-page"),
    path("booking/", views.guest_page, {"view": "manage"}, name="guest-manage"),
]
