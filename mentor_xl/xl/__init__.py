"""Excel faces of mentor_xl: buttons, formulas and the workbooks that carry them.

  book_api   the Book/Sheet/Range protocols (the subset of xlwings' API the buttons use, which
             classic xlwings and xlwings Lite both have) and ``read_xl_book(book)`` /
             ``open_xl_office(book)``: an open workbook read with the file reader's own parsing
  buttons    the buttons: ``check``, ``compliance``, ``assess``, ``awards``, ``allocate``,
             ``docs`` — each ``fn(book) -> message`` — and ``main(button_id)`` for RunPython
  udfs       classic ``@xw.func`` formulas (Windows Excel), data as arguments only:
             MENTOR_TIER, MENTOR_AWARD, MENTOR_ALLOCATE
  lite/      main.py + requirements.txt embedded in the xlwings Lite workbooks
  macros/    the VBA of the macro workbooks, kept as text (.bas)
  build      ``build_workbooks(out_dir)``: Lite .xlsx and macro .xlsm per pack
  formulas   ``write_formula_results(...)``: the results workbook with live COUNTIFS/SUMIFS
             (``plan_formulas`` works them out and checks the 8,192-character limit first)
  kit        ``mentor-xl kit DIR``: the offline office kit (workbooks, hash-pinned wheelhouse,
             安装.bat / 安装.command; templates in kit_files/)

No computation lives here: every number comes from the library.
"""
