"""Pure decisions of the sync engine: Graph JSON in, row values and plans out.

No I/O and no ``odoo`` here, so the rules that decide what a delta page means for the
mirror can be read (and tested) on their own.
"""
