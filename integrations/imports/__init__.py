"""Bulk claims from a CSV or XLSX file.

upload (`import_create`) -> validation of every row (`validate_file`, streamed in chunks, in
the worker for large files) -> preview (ImportRow per row: per-column errors with the form's
codes, competing / duplicate flags) -> commit (`commit_rows`: the valid rows become Editing
drafts through claims.services.claim_create, each linked to its import and row) ->
rejected rows as a CSV with an `errors` column.

Rows are validated by claims.validation.validate_claim_input, the code behind the form and
the API, so the codes are the same. Formulas are never evaluated (XLSX is read with
data_only=False: a formula cell is refused, its cached value ignored). Importing a row twice
is impossible: ImportedClaim is unique per company and row content.

Modules: reading (the file's cells and header), rows (one row's checks and flags), service
(upload, validation, commit), templates (the template files and column help), rejected (the
rejected-rows CSV).
"""

from .rejected import rejected_csv
from .rows import message_of
from .service import (
    commit,
    commit_rows,
    earlier_upload,
    earlier_upload_pk,
    import_create,
    import_scan,
    pending_import_scans,
    validate_file,
)
from .templates import COLUMN_HELP, template_columns, template_csv, template_xlsx

__all__ = [
    "COLUMN_HELP",
    "commit",
    "commit_rows",
    "earlier_upload",
    "earlier_upload_pk",
    "import_create",
    "import_scan",
    "message_of",
    "pending_import_scans",
    "rejected_csv",
    "template_columns",
    "template_csv",
    "template_xlsx",
    "validate_file",
]
