from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from apps.staff import services
from apps.staff.middleware import remember
from apps.staff.models import Staff, StaffLanguage


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "is_active"]
    list_filter = ["is_active", "services"]
    search_fields = ["name", "email", "phone"]
    filter_horizontal = ["services"]
    readonly_fields = ["created_at", "updated_at"]

    def get_urls(self):
        # Any staff user's own page (admin_view asks staff status only).
        mine = path(
            "my-language/",
            self.admin_site.admin_view(lambda request: my_language_view(self, request)),
            name="staff_my_language",
        )
        return [mine, *super().get_urls()]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("My browser's language")), *settings.LANGUAGES],
        required=False,
    )


def my_language_view(model_admin, request):
    """Any staff user's own language (no permission beyond staff status)."""
    current = (
        StaffLanguage.objects.filter(user=request.user)
        .values_list("language", flat=True)
        .first()
    )
    form = LanguageForm(request.POST or None, initial={"language": current or ""})
    if request.method == "POST" and form.is_valid():
        language = services.staff_language_set(
            user=request.user, language=form.cleaned_data["language"]
        )
        remember(request, language)
        # The confirmation reads in the language just chosen.
        translation.activate(language or translation.get_language_from_request(request))
        model_admin.message_user(
            request, _("Your language is saved."), messages.SUCCESS
        )
        return redirect("admin:index")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("My language"),
        "form": form,
    }
    return TemplateResponse(request, "admin/staff/my_language.html", context)
