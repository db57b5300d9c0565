from rest_framework import serializers

from apps.services.models import Service
from common.fields import AudienceField, JsonBooleanField, MoneyField


class ServiceSerializer(serializers.ModelSerializer):
    price = MoneyField(help_text='Euros, as a string: "25.00".')
    is_active = JsonBooleanField(required=False)
    audience = AudienceField("staff")

    class Meta:
        model = Service
        fields = [
            "audience",
            "id",
            "name",
            "description",
            "duration_minutes",
            "price",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "duration_minutes": {"min_value": 1, "max_value": 24 * 60},
        }


class PublicServiceSerializer(ServiceSerializer):
    audience = AudienceField("public")

    class Meta(ServiceSerializer.Meta):
        fields = [
            "audience",
            "id",
            "name",
            "description",
            "duration_minutes",
            "price",
            "is_active",
        ]
