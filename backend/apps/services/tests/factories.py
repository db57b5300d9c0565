from decimal import Decimal

import factory

from apps.services.models import Service


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")
    description = "A test service."
    duration_minutes = 60
    price = Decimal("40.00")
    is_active = True
