"""`{% load rrm_words %}`: `{{ rollout.state|words }}` says a state or event name in words
(rollout.web.words), and `{% words_json %}` gives the same mapping to a page's script."""

from __future__ import annotations

import json

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

from rollout.web.words import WORDS, in_words

register = template.Library()


@register.filter(name="words")
def words(name: object) -> str:
    return in_words(name)


@register.simple_tag
def words_json() -> SafeString:
    """The mapping as JSON, escaped for an HTML attribute (data-words="{% words_json %}")."""
    return SafeString(escape(json.dumps(WORDS, sort_keys=True)))
