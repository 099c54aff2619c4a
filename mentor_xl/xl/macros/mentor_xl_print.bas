Attribute VB_Name = "mentor_xl_print"
' Print settings of the result sheets the buttons write (classic xlwings: Excel on Windows and
' macOS), called by each button's Sub once its Python has run. A result sheet carries the
' marker of mentor_xl.xl.buttons (MARKER) in A1; each prints as the command line's results
' workbooks do: A4 landscape, one page wide, its title and header rows (1:2) on every page,
' the cells' grid, the sheet's name above and the page numbers below; its columns as wide as
' their header and values (a date no longer shows as ###), a long text wrapped at MAX_WIDTH.
' The office's own sheets are never touched.
' Kept ASCII-only (VBA modules are stored in the project's code page): the marker and the
' footer's words are ChrW codes.
' Nothing here may stop a button: Excel without a printer refuses PageSetup, and the sheets
' then print as they are.
Option Explicit

Private Const MAX_WIDTH As Double = 50  ' characters: a long note wraps rather than widen the page

Public Sub MentorPrintResults()
    Dim ws As Object
    On Error Resume Next
    Application.PrintCommunication = False  ' Excel 2010+: the settings go to the printer once
    For Each ws In ThisWorkbook.Worksheets
        If IsResultSheet(ws) Then
            FitColumns ws
            SetUpResultPage ws
        End If
    Next ws
    Application.PrintCommunication = True
End Sub

' The marker in A1, tested apart: under Resume Next an error in an If's condition (an A1 holding
' #N/A) would go on into the If's body, and set up a sheet of the office's.
Private Function IsResultSheet(ws As Object) As Boolean
    Dim a1 As Variant
    On Error GoTo NotOurs
    a1 = ws.Range("A1").Value
    If VarType(a1) = vbString Then IsResultSheet = (Left(a1, Len(ResultMarker())) = ResultMarker())
NotOurs:
End Function

' U+3010 "mentor_xl " U+7ED3 U+679C U+3011: the marker's text
Public Function ResultMarker() As String
    ResultMarker = ChrW(&H3010) & "mentor_xl " & ChrW(&H7ED3) & ChrW(&H679C) & ChrW(&H3011)
End Function

' U+7B2C &P U+9875 U+FF0C U+5171 &N U+9875: the page numbers under every page
Public Function PageNumbers() As String
    PageNumbers = ChrW(&H7B2C) & " &P " & ChrW(&H9875) & ChrW(&HFF0C) & ChrW(&H5171) & " &N " & ChrW(&H9875)
End Function

' Each column fitted to its header and values (row 2 on: the title in A1 runs across), at most
' MAX_WIDTH wide, wrapped there.
Private Sub FitColumns(ws As Object)
    Dim j As Long, last As Long, body As Object
    On Error Resume Next
    last = ws.UsedRange.Row + ws.UsedRange.Rows.Count - 1
    If last < 2 Then Exit Sub
    For j = 1 To ws.UsedRange.Column + ws.UsedRange.Columns.Count - 1
        Set body = ws.Range(ws.Cells(2, j), ws.Cells(last, j))
        body.Columns.AutoFit
        If ws.Columns(j).ColumnWidth > MAX_WIDTH Then
            ws.Columns(j).ColumnWidth = MAX_WIDTH
            body.WrapText = True
        End If
    Next j
End Sub

Private Sub SetUpResultPage(ws As Object)
    On Error Resume Next
    With ws.PageSetup
        .PaperSize = 9        ' xlPaperA4, before the orientation turns it
        .Orientation = 2      ' xlLandscape
        .Zoom = False
        .FitToPagesWide = 1
        .FitToPagesTall = False
        .CenterHorizontally = True
        .LeftMargin = 28.8    ' points: 0.4 in, as the results workbooks
        .RightMargin = 28.8
        .TopMargin = 54
        .BottomMargin = 43.2
        .PrintTitleRows = "$1:$2"
        .PrintGridlines = True
        .CenterHeader = "&A"
        .CenterFooter = PageNumbers()
    End With
End Sub
