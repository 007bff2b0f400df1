"""Template tags of the reviewer's pages."""

from django import template

from reviews.rows import queue_rows_html

register = template.Library()


@register.simple_tag
def queue_rows(claims):
    """The review queue's table rows (reviews.rows)."""
    return queue_rows_html(claims)
