# Output formats of the product's dates (Django's own "es" module supplies the rest).
# Every format with a time names its time zone ("e").
DATE_FORMAT = r"j \d\e F \d\e Y"
DATETIME_FORMAT = r"D j \d\e F \d\e Y, H:i e"
SHORT_DATETIME_FORMAT = r"d/m/Y H:i e"
MONTH_DAY_FORMAT = r"D j \d\e F"
