"""Service constraints the database enforces."""

import pytest
from django.db import IntegrityError, transaction


@pytest.mark.django_db
def test_service_rejects_non_positive_duration_and_negative_price():
    from apps.services.tests.factories import ServiceFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceFactory(duration_minutes=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceFactory(price=-1)
