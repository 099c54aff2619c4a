"""Excel faces of mentor_xl: buttons, formulas and the workbooks that carry them.

  book_api   read an open workbook (xlwings Book/Sheet/Range API: classic xlwings, xlwings
             Lite, or the in-repo ``fake.FakeBook``) into an ``OfficeBook`` with the file
             reader's own parsing: ``read_xl_book(book)``, ``open_xl_office(book)``
  buttons    the buttons: ``check``, ``compliance``, ``assess``, ``awards``, ``allocate``,
             ``docs`` — each ``fn(book) -> message`` — and ``main(button_id)`` for RunPython
  udfs       classic ``@xw.func`` formulas (Windows Excel): MENTOR_RATE, MENTOR_MISSED,
             MENTOR_TIER, MENTOR_AWARD, MENTOR_ALLOCATE
  lite/      main.py + requirements.txt embedded in the xlwings Lite workbooks
  macros/    the VBA of the macro workbooks, kept as text (.bas)
  build      ``build_workbooks(out_dir)``: Lite .xlsx and macro .xlsm per pack
  formulas   ``write_formula_results(...)``: the results workbook with live COUNTIFS/SUMIFS
  fake       the stand-in Book/Sheet/Range used by the tests

No computation lives here: every number comes from the library.
"""
