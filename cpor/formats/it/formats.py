# Output formats of the product's dates (Django's own "it" module supplies the rest).
# Every format with a time names its time zone ("e").
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "D j F Y, H:i e"
SHORT_DATETIME_FORMAT = "d/m/Y H:i e"
MONTH_DAY_FORMAT = "D j F"
