"""Month and weekday names, listed so `makemessages` keeps them in our catalogues.

Django's own catalogues capitalise them in Portuguese and Italian ("7 de Dezembro de 2026",
"Lun 7 Dicembre"), but mid-sentence both languages write them in lower case. Our catalogue is
merged over Django's, so the entries below (the same msgids as django.utils.dates) win for every
date format, on pages and in emails. Spanish and Chinese carry Django's own wording.
Nothing imports this module: it exists for extraction only (issue 23, point 4).
"""

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
WEEKDAYS = [
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
]
WEEKDAYS_ABBR = [
    gettext_noop("Mon"),
    gettext_noop("Tue"),
    gettext_noop("Wed"),
    gettext_noop("Thu"),
    gettext_noop("Fri"),
    gettext_noop("Sat"),
    gettext_noop("Sun"),
]

# django-axes ships no Portuguese, Italian, Chinese or Spanish catalogue: its models' names, as
# the admin shows them, translated in ours.
AXES_MODELS = [
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]
