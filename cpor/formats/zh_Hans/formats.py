# Output formats of the product's dates (Django's own "zh_Hans" module supplies the rest).
# Every format with a time names its time zone ("e").
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日（D）H:i e"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i e"
MONTH_DAY_FORMAT = "n月j日（D）"
