FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# gettext compiles the catalogues; the PoE checklist PDF embeds DejaVu (Latin) and Noto CJK (Chinese);
# the PoE pre-check reads scans with Tesseract (five language packs) and renders PDF pages with pdftoppm.
RUN apt-get update && apt-get install -y --no-install-recommends gettext fonts-dejavu-core fonts-noto-cjk \
    tesseract-ocr tesseract-ocr-eng tesseract-ocr-por tesseract-ocr-ita tesseract-ocr-chi-sim tesseract-ocr-spa poppler-utils \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Settings import without a secret; the web and Celery processes refuse to start without one.
RUN python manage.py collectstatic --noinput && python manage.py compilemessages --ignore=staticfiles
RUN useradd --create-home cpor && mkdir -p /var/lib/cpor && chown cpor /var/lib/cpor
USER cpor
EXPOSE 8000
CMD ["gunicorn", "cpor.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--limit-request-line", "8190", "--access-logfile", "-"]
