"""Template tags of the programme pages.

{% load programme %}
<a href="{% webcal_url 'events:event_calendar' slug=event.slug %}">…</a>
"""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def webcal_url(context, view_name: str, **kwargs) -> str:
    """A calendar feed's address as a subscription (`webcal://`): calendar apps on phones
    and PCs subscribe to it and fetch it again as the programme changes, where an
    `https://` link would download one copy."""
    request = context["request"]
    return f"webcal://{request.get_host()}{reverse(view_name, kwargs=kwargs)}"
