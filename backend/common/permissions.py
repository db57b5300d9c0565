"""The API's one permission check: each action of a view needs model permissions.

Django's model permissions (and the custom transition permissions such as
`bookings.verify_payment`) are the one permission model of the API, the admin
and the commands; roles are groups holding them (`apps.staff.roles`). A view
lists, per action, the permissions it needs in `action_permissions`; actions
open to anyone map to `PUBLIC`. An action missing from the table is refused,
so a new action cannot be left open by accident.
"""

from rest_framework import permissions

PUBLIC = "public"


def has_staff_permission(request, *perms: str) -> bool:
    """A staff user holding every one of `perms` (superusers hold them all)."""
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_staff
        and user.has_perms(perms)
    )


class ActionPermissions(permissions.BasePermission):
    """Allow an action when the user holds the permissions its view maps it to.

    `view.action_permissions` maps an action name to `PUBLIC` or to a tuple of
    "app_label.codename" permissions; a view may add to them per request by
    overriding `required_permissions(request)` (a PATCH that changes `status`
    also needs that transition's permission). Staff status is required too, as
    the admin requires it.
    """

    def has_permission(self, request, view):
        if not hasattr(view, "action_permissions"):
            return False  # a view without a table is open to nobody
        if getattr(view, "action", None) is None:
            # A method the route does not offer: let the view answer 405.
            return True
        required = required_permissions(view, request)
        if required is PUBLIC:
            return True
        return has_staff_permission(request, *required)


def required_permissions(view, request) -> str | tuple[str, ...]:
    custom = getattr(view, "required_permissions", None)
    if custom is not None:
        return custom(request)
    return action_permissions(view)


def action_permissions(view) -> str | tuple[str, ...]:
    table = view.action_permissions
    action = "list" if view.action == "metadata" else view.action
    required = table.get(action)
    if required is None:
        # Fail closed: nobody may run an action the table does not name.
        return ("__unmapped_action__.refused",)
    if required is PUBLIC:
        return PUBLIC
    return (required,) if isinstance(required, str) else tuple(required)


def model_permissions(app_label: str, model_name: str) -> dict[str, tuple[str]]:
    """The action table of a plain model viewset whose reads are public."""
    return {
        "list": PUBLIC,
        "retrieve": PUBLIC,
        "create": (f"{app_label}.add_{model_name}",),
        "update": (f"{app_label}.change_{model_name}",),
        "partial_update": (f"{app_label}.change_{model_name}",),
        "destroy": (f"{app_label}.delete_{model_name}",),
    }
