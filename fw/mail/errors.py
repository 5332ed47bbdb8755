"""The exception the mail package raises, defined with fw's others."""

from ..exceptions import MailError

__all__ = ["MailError"]
