"""The result engine's reasons: what is wrong with a row, and its FHIR issue-type code.

Both the engine (`ingest`) and the FHIR answer (`fhir.operation_outcome`) read them, so they
live below both.
"""

from django.utils.translation import gettext_noop

from fangkong.core.tabular import E_EXTRA_CELLS, E_REQUIRED

E_NOT_SUPPORTED = gettext_noop("Only CSV, XLSX and FHIR JSON files can be uploaded")
E_RESULT = gettext_noop("Result must be 阴性 or 阳性 (negative or positive, N or P)")
E_CT = gettext_noop("Ct value must be a number between 0 and 50")
E_TIME = gettext_noop("Not a time: write it as 2022-05-07 14:30")
E_FUTURE = gettext_noop("This time is in the future")
E_TUBE_UNKNOWN = gettext_noop("No tube has this barcode")
E_NOT_COLLECTED = gettext_noop("No sample was ever collected in this tube")
E_OTHER_RESULT = gettext_noop("This tube already has a different result (%(result)s)")
E_BEFORE_COLLECTED = gettext_noop("Tested before the sample was collected (%(collected)s)")
E_OTHER_LAB = gettext_noop("This tube was sent to another laboratory")
E_CONFLICT = gettext_noop("This tube appears again in %(where)s with a different result")
E_CONCURRENT = gettext_noop(
    "Another upload changed these tubes at the same time; nothing was written. Upload again."
)

# FHIR issue-type codes for the engine's reasons (fhir.issue_code reads them).
ISSUE_CODES = {
    E_REQUIRED: "required",
    E_EXTRA_CELLS: "structure",
    E_RESULT: "code-invalid",
    E_CT: "value",
    E_TIME: "value",
    E_FUTURE: "business-rule",
    E_TUBE_UNKNOWN: "not-found",
    E_NOT_COLLECTED: "business-rule",
    E_OTHER_RESULT: "conflict",
    E_BEFORE_COLLECTED: "business-rule",
    E_OTHER_LAB: "business-rule",
    E_CONFLICT: "duplicate",
    E_CONCURRENT: "conflict",
}
