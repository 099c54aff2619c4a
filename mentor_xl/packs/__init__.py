"""Policy packs: each seed policy as data (one TOML file per pack), read by one engine.

A pack holds roles (with the aliases offices write), activity types (with aliases),
rules (id, clause, role, scope, period, measure, minimum, types), ⚙ settings
(office-set defaults; ``common.toml`` holds the ones every pack shares) and the sections
the later engines read: [assessment], [eligibility], [pairing], [[awards]], [documents],
[columns] and the level tables. ``model.py`` is the typed model, ``load.py`` reads and
checks a file. Nothing in the code branches on a pack id: a new policy is a new TOML file.
"""
from __future__ import annotations

from mentor_xl.packs.load import PACK_DIR, available, load_pack, load_pack_file, parse_pack
from mentor_xl.packs.model import (  # noqa: F401 (the package's public names)
    MEASURES, PERIODS, SCOPES, TERM_ONLY_MEASURES, Assessment, Award, Documents, Eligibility, Pack, PackError,
    Pairing, Rule, Setting, normalise_label,
)
