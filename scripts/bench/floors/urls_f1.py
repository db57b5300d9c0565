from django.urls import path

from floors.views import f1_create

urlpatterns = [path("api/bookings/", f1_create)]
