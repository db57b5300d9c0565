from django.db import models


class Export(models.Model):
    """No table: the holder of the exports' permissions (a role is given
    them like any model permission, through `apps.staff.roles`)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("export_bookings", "Can export bookings for the accountant"),
            ("export_payments", "Can export payments for the accountant"),
            (
                "export_guest_contact",
                "Can see guests' names and emails in exports",
            ),
        ]

    def __str__(self):
        return "Export"
