import factory

from apps.staff.models import Staff


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Staff member {n}")
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    phone = "+351 910 000 000"
    is_active = True

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.add(*extracted)
