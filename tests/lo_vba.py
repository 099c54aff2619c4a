"""Run a VBA macro of ours on a workbook in LibreOffice's VBA runtime; for the tests only.

Run by the system's python3 with LibreOffice's UNO bridge (Debian: python3-uno), not by the
test's interpreter:

    python3 tests/lo_vba.py SOFFICE BOOK MODULE.bas SUB OUT.pdf

Opens BOOK hidden in a private profile, adds MODULE.bas to the document's Basic in VBA
compatibility mode (as LibreOffice imports a workbook's VBA project), calls SUB, prints per sheet
its page settings and the widths of its first columns (1/100 mm) as JSON
on stdout and exports the workbook as OUT.pdf. The book's own VBA (the
xlwings module with its Windows API declarations) is never compiled here: LibreOffice's Basic
refuses it, and the module under test does not need it.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid


def main(soffice: str, book: str, bas: str, sub: str, pdf: str) -> int:
    import uno
    from com.sun.star.beans import PropertyValue

    def prop(name, value):
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    with open(bas, encoding="ascii") as f:  # the modules are ASCII-only, as VBA stores them
        source = "\n".join(line for line in f.read().splitlines() if not line.startswith("Attribute "))
    module = os.path.splitext(os.path.basename(bas))[0]
    pipe = f"mentor_xl_vba_{uuid.uuid4().hex}"
    profile = tempfile.mkdtemp(prefix="mentor_xl_vba_")
    env = dict(os.environ, SAL_USE_VCLPLUGIN="svp")
    proc = subprocess.Popen([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                             "--nologo", "--nodefault", "--norestore", "--nolockcheck",
                             f"--accept=pipe,name={pipe};urp;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(300):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:  # noqa: BLE001 — not listening yet
                time.sleep(0.1)
        else:
            print("LibreOffice did not start", file=sys.stderr)
            return 2
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(book)), "_blank", 0,
                                           (prop("Hidden", True), prop("MacroExecutionMode", 4)))
        try:
            libs = doc.BasicLibraries
            libs.VBACompatibilityMode = True
            libs.getByName("Standard").insertByName(module, "Option VBASupport 1\n" + source)
            doc.getScriptProvider().getScript(
                f"vnd.sun.star.script:Standard.{module}.{sub}?language=Basic&location=document").invoke((), (), ())
            styles = doc.StyleFamilies.getByName("PageStyles")
            sheets = {}
            for name in doc.Sheets.ElementNames:
                sheet = doc.Sheets.getByName(name)
                st = styles.getByName(sheet.PageStyle)
                sheets[name] = {"widths": [sheet.Columns.getByIndex(j).Width for j in range(4)],
                                "landscape": st.IsLandscape, "width": st.Width, "height": st.Height,
                                "pages_wide": st.ScaleToPagesX, "pages_tall": st.ScaleToPagesY,
                                "centred": st.CenterHorizontally, "left": st.LeftMargin, "top": st.TopMargin}
            doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(pdf)), (prop("FilterName", "calc_pdf_Export"),))
        finally:
            doc.close(True)
        print(json.dumps(sheets, ensure_ascii=False))
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001 — the bridge goes down with it
            pass
        return 0
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
