from rest_framework import serializers

from apps.services.models import Service
from common.fields import JsonBooleanField, MoneyField


class ServiceSerializer(serializers.ModelSerializer):
    price = MoneyField(help_text='Euros, as a string: "25.00".')
    is_active = JsonBooleanField(required=False)

    class Meta:
        model = Service
        fields = [
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
    class Meta(ServiceSerializer.Meta):
        fields = ["id", "name", "description", "duration_minutes", "price", "is_active"]
