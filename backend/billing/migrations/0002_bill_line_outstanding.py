# What each bill line still owes, kept by the database from the ledger (see BillLine.outstanding).

from django.db import migrations, models

# One function for the three statement-level triggers. The ledger is append-only, so in practice only INSERT
# fires; UPDATE and DELETE are handled too, so that the column stays the ledger's sum whatever happens (a
# test's clean-up, an operator's repair). Rows are summed per line first, so a bill run's 100,000 charges are
# one UPDATE ... FROM of 100,000 lines. The table is named through TG_TABLE_SCHEMA, never the search_path.
# A bill run inserts its new lines already outstanding and says so with SET LOCAL
# billing.outstanding_preset = 'on' for its charge statement (billing/runs.py): its charges are then not
# added a second time.
FUNCTION = r"""
CREATE OR REPLACE FUNCTION billing_outstanding_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    skip_charges boolean := TG_OP = 'INSERT' AND current_setting('billing.outstanding_preset', true) = 'on';
    delta text := $d$
        SELECT bill_line_id,
               SUM(CASE WHEN kind IN ('charge', 'unsettle') THEN amount ELSE -amount END) AS amount
        FROM %s
        WHERE bill_line_id IS NOT NULL AND kind IN ('charge', 'waiver', 'settle', 'unsettle') %s
        GROUP BY bill_line_id
    $d$;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format(
            'UPDATE %I.billing_billline b SET outstanding = b.outstanding + d.amount FROM (%s) d '
            'WHERE b.id = d.bill_line_id AND d.amount <> 0',
            TG_TABLE_SCHEMA,
            format(delta, 'new_entries', CASE WHEN skip_charges THEN 'AND kind <> ''charge''' ELSE '' END)
        );
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        EXECUTE format(
            'UPDATE %I.billing_billline b SET outstanding = b.outstanding - d.amount FROM (%s) d '
            'WHERE b.id = d.bill_line_id AND d.amount <> 0',
            TG_TABLE_SCHEMA,
            format(delta, 'old_entries', '')
        );
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER billing_outstanding_insert AFTER INSERT ON billing_ledgerentry
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION billing_outstanding_apply();
CREATE TRIGGER billing_outstanding_update AFTER UPDATE ON billing_ledgerentry
    REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION billing_outstanding_apply();
CREATE TRIGGER billing_outstanding_delete AFTER DELETE ON billing_ledgerentry
    REFERENCING OLD TABLE AS old_entries FOR EACH STATEMENT EXECUTE FUNCTION billing_outstanding_apply();

UPDATE billing_billline b SET outstanding = e.amount
FROM (
    SELECT bill_line_id, SUM(CASE WHEN kind IN ('charge', 'unsettle') THEN amount ELSE -amount END) AS amount
    FROM billing_ledgerentry
    WHERE bill_line_id IS NOT NULL AND kind IN ('charge', 'waiver', 'settle', 'unsettle')
    GROUP BY bill_line_id
) e
WHERE b.id = e.bill_line_id;
"""

REVERSE = """
DROP TRIGGER IF EXISTS billing_outstanding_insert ON billing_ledgerentry;
DROP TRIGGER IF EXISTS billing_outstanding_update ON billing_ledgerentry;
DROP TRIGGER IF EXISTS billing_outstanding_delete ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_outstanding_apply();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="billline",
            name="outstanding",
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunSQL(FUNCTION, REVERSE),
        migrations.AddIndex(
            model_name="billline",
            index=models.Index(
                condition=models.Q(("outstanding__gt", 0)), fields=["unit", "due_date"], name="bill_line_open"
            ),
        ),
    ]
