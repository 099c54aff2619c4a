"""Emailed workbooks: send collection workbooks out (``collect``), take returns in (``ingest``).

  collect.collect(book, term, by, out_dir, ...) -> CollectResult
  ingest.ingest(book, inputs, ...)             -> IngestResult
Both results have ``to_json()`` and ``summary_zh()``. See each module for the details:
stamp (recognising a return), trust (which returns the office can trust: signed stamps,
the register of what was sent, senders, dates, held returns), recipients (who gets what),
inbox (files, .eml, .msg, mbox, Maildir), examine (one return), isolated (reading it in a
child process), decide (which return counts), ledger (provenance, 收件记录, merge plan),
writeback (the office workbook), report (report workbook, replies), smtp (sending).
"""
from mentor_xl.mail.collect import CollectResult, collect
from mentor_xl.mail.ingest import IngestResult, ingest

__all__ = ["collect", "ingest", "CollectResult", "IngestResult"]
