# Output formats of the product's dates (Django's own "en" module supplies the rest).
# Every format with a time names its time zone ("e").
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "D j M Y, H:i e"
SHORT_DATETIME_FORMAT = "j M Y, H:i e"
MONTH_DAY_FORMAT = "D j M"
