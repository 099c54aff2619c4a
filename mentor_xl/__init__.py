"""mentor_xl — 导师制度合规、考核与公文工具.

The package reads as the pipeline:
packs (policy data) → workbook (read, validate, write) → periods → engine (compliance)
→ assess, awards → documents → mail, with ``xl`` and ``cli`` as thin faces over it.
"""

__version__ = "0.1.0"
