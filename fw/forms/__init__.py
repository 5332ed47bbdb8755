"""Forms and reports generated from table descriptions.

- forms: :class:`Form`, rendered with labels, help, inputs, messages and
  the rules for fw/client/forms.js, and processed with fw.validation;
- reports: :class:`Report`, a page of records as an HTML table with the
  table's zero/one/many terms, paging and sorting by described fields;
- fields: the input each field gets and its constraint attributes;
- messages: validation messages for the page and for the browser.

See docs/forms.md.
"""

from .forms import Form
from .messages import message, shown_params
from .reports import Report, ReportPage, page_number, sort_order

__all__ = [
    "Form",
    "Report",
    "ReportPage",
    "message",
    "page_number",
    "shown_params",
    "sort_order",
]
