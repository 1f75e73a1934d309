"""The payables ledger is append-only in the database too: UPDATE and DELETE of an entry raise (corrections
are new entries). TRUNCATE (test teardown of committed data) and dropping the schema stay possible."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payable_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the payables ledger is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payable_entry_append_only
    BEFORE UPDATE OR DELETE ON marketplace_settlement_payableentry
    FOR EACH ROW EXECUTE FUNCTION payable_entry_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS payable_entry_append_only ON marketplace_settlement_payableentry;
DROP FUNCTION IF EXISTS payable_entry_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("marketplace_settlement", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
