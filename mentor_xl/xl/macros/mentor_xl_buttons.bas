Attribute VB_Name = "mentor_xl_buttons"
' mentor_xl buttons for classic xlwings (local Python).
' Each button of the sheet calls one parameterless Sub below; the Sub hands over to
' mentor_xl.xl.buttons through RunPython (xlwings standalone module in this workbook).
' Set-up (the office kit built by 'mentor-xl kit', enable macros): see the guide sheet.
' Kept ASCII-only: VBA modules are stored in the project's code page.
' Each command first drops '' (the current folder) from sys.path: with xlwings.conf's
' ADD_WORKBOOK_TO_PYTHONPATH False, a .py planted beside the workbook is then never imported.
'
' button: MentorCheck at E2
' button: MentorCompliance at E5
' button: MentorAssess at E8
' button: MentorAwards at E11
' button: MentorAllocate at E14
' button: MentorDocs at E17
' button: MentorFormulaResults at E20
' button: MentorImportFormulas at E23
Option Explicit

Sub MentorCheck()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('check')"
End Sub

Sub MentorCompliance()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('compliance')"
End Sub

Sub MentorAssess()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('assess')"
End Sub

Sub MentorAwards()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('awards')"
End Sub

Sub MentorAllocate()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('allocate')"
End Sub

Sub MentorDocs()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('docs')"
End Sub

Sub MentorFormulaResults()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('formulas')"
End Sub

Sub MentorImportFormulas()
    ' Imports the UDFs of the module named under "UDF Modules" in the xlwings.conf sheet.
    ' Needs Excel's "Trust access to the VBA project object model" (Windows only).
    ImportPythonUDFs
End Sub
