"""Admin pieces every app shares."""


class ReadOnlyAdminMixin:
    """For rows only the domain layer writes: listed and viewed in the admin,
    never added or edited there. `deletable` keeps Django's own delete
    permission; off by default."""

    deletable = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)
