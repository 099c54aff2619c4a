Attribute VB_Name = "mentor_xl_buttons"
' mentor_xl buttons for classic xlwings (local Python).
' Each button of the sheet calls one parameterless Sub below; the Sub hands over to
' mentor_xl.xl.buttons through RunPython (xlwings standalone module in this workbook).
' Set-up (the office kit built by 'mentor-xl kit', enable macros): see the guide sheet.
' Then the result sheets are set up for printing (mentor_xl_print): here on Windows, where
' RunPython returns once Python is done; on macOS RunPython returns at once, and the Python
' runs the macro itself when it has written them (mentor_xl.xl.buttons.print_results).
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
    #If Not Mac Then
        MentorPrintResults
    #End If
End Sub

Sub MentorCompliance()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('compliance')"
    #If Not Mac Then
        MentorPrintResults
    #End If
End Sub

Sub MentorAssess()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('assess')"
    #If Not Mac Then
        MentorPrintResults
    #End If
End Sub

Sub MentorAwards()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('awards')"
    #If Not Mac Then
        MentorPrintResults
    #End If
End Sub

Sub MentorAllocate()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('allocate')"
    #If Not Mac Then
        MentorPrintResults
    #End If
End Sub

Sub MentorDocs()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('docs')"
    #If Not Mac Then
        MentorPrintResults
    #End If
End Sub

Sub MentorFormulaResults()
    RunPython "import sys; sys.path[:] = [p for p in sys.path if p]; import mentor_xl.xl.buttons as b; b.main('formulas')"
    #If Not Mac Then
        MentorPrintResults
    #End If
End Sub

Sub MentorImportFormulas()
    ' Imports the UDFs of the module named under "UDF Modules" in the xlwings.conf sheet.
    ' Needs Excel's "Trust access to the VBA project object model" (Windows only).
    ImportPythonUDFs
End Sub
