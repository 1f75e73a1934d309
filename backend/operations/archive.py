"""One company as a restorable archive, and back (`manage.py company_export` / `company_restore`).

The archive is a .tar.gz holding:

    manifest.json   the format, the company (name, slug, schema, time zone, …), when, and what it held: the rows
                    of every table of its schema and each unit's ledger balance, which a restore must reproduce
    schema.sql      `pg_dump --schema=<schema>` (plain SQL: the company's tables, sequences, indexes and rows)
    public.json     the company's rows in the public schema, found generically (every platform model with a
                    foreign key to the company: memberships, merchant approvals, its Stripe account, the shop
                    orders index, merchant notices, …), with the people they name (users by e-mail, password
                    hashes included, so they sign in as before)
    files/          its uploaded files (MEDIA_ROOT/<schema>/…)

A restore makes a NEW company (a new subdomain and schema) from it, on this platform or another: the schema is
loaded under its new name, the public rows are re-pointed at the new company (users matched by e-mail, created
when missing), the files are copied under the new schema and the file columns re-pointed at them. The row counts
and ledger balances are checked against the manifest; on any difference or error nothing is left behind.
Domains are not carried over (the new company gets <new subdomain>.<platform domain>); nor are sign-in handoffs.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.db import connection, models, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.errors import ApplicationError
from tenants.db import app_labels
from tenants.models import Domain, Tenant
from tenants.public_references import public_foreign_keys_drop

log = logging.getLogger(__name__)

FORMAT = 1
# Public rows that belong to a company but are not carried over: its domains (the new company gets its own) and
# one-time sign-in tickets.
NOT_CARRIED = {"tenants.domain", "accounts.loginhandoff"}


@dataclass
class Archived:
    path: Path
    tables: dict[str, int]
    balances: dict[str, int]
    public_rows: int
    files: int
    seconds: float = 0.0


@dataclass
class Restored:
    tenant: Tenant
    tables: dict[str, int]
    public_rows: int
    skipped: list[str] = field(default_factory=list)
    files: int = 0
    seconds: float = 0.0


# --- what a company holds ----------------------------------------------------------------------------------------


def _shared_only_labels() -> set[str]:
    """The apps whose tables live only in the public schema."""
    return app_labels(settings.SHARED_APPS) - app_labels(settings.TENANT_APPS)


def public_foreign_keys(to: type[models.Model]) -> list[tuple[type[models.Model], str]]:
    """(model, name of its foreign key to `to`) for every public-schema model that points at `to`."""
    shared = _shared_only_labels()
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in shared or model is to:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.ForeignKey) and f.related_model is to:
                found.append((model, f.name))
    return sorted(found, key=lambda pair: pair[0]._meta.label_lower)


def public_models() -> list[tuple[type[models.Model], str]]:
    """(model, name of its foreign key to Tenant) for every public-schema model that points at a company."""
    return public_foreign_keys(Tenant)


def tenant_file_fields() -> list[tuple[type[models.Model], str]]:
    """(model, column) of every file column in a company's schema."""
    tenant_labels = app_labels(settings.TENANT_APPS)
    return [
        (model, str(f.column))
        for model in apps.get_models()
        if model._meta.app_label in tenant_labels
        for f in model._meta.concrete_fields
        if isinstance(f, models.FileField)
    ]


def schema_tables(schema: str) -> dict[str, int]:
    """Every table of the schema with its row count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
            [schema],
        )
        names = [row[0] for row in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{name}"')  # noqa: S608 - names from the catalog
            counts[name] = int(cursor.fetchone()[0])
    return counts


def ledger_balances(schema: str) -> dict[str, int]:
    """Each unit's ledger balance (fen), by unit id: what a restore must give back to the fen."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'billing_ledgerentry'", [schema])
        if cursor.fetchone() is None:
            return {}
        cursor.execute(
            f'SELECT unit_id, COALESCE(SUM(amount), 0) FROM "{schema}".billing_ledgerentry GROUP BY unit_id'  # noqa: S608
        )
        return {str(unit): int(total) for unit, total in cursor.fetchall()}


# --- PostgreSQL tools ------------------------------------------------------------------------------------------


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432), "-U", str(db.get("USER"))]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _database_name() -> str:
    return str(connection.settings_dict["NAME"])


def _pg_dump_schema(schema: str, out: Path) -> None:
    args, env = _pg_env()
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings and the catalog
        ["pg_dump", *args, "--schema", schema, "--no-owner", "--no-privileges", "-f", str(out), _database_name()],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {result.stderr.strip()[:2000]}")


def _psql_file(path: Path) -> None:
    args, env = _pg_env()
    result = subprocess.run(  # noqa: S603
        ["psql", *args, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(path), _database_name()],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"loading the schema failed: {result.stderr.strip()[:2000]}")


def schema_sql_rename(source: io.TextIOBase, target: io.TextIOBase, *, old: str, new: str) -> None:
    """Rewrite a plain pg_dump of schema `old` to create schema `new`: every statement's identifiers are
    re-qualified; the rows of COPY blocks are copied byte for byte (a row may well contain the old name)."""
    bare = re.compile(r"(?<![\w$\"])" + re.escape(old) + r"(?=\.|;|\s|$)")
    quoted = re.compile(r'"' + re.escape(old) + r'"(?=\.)')
    in_copy = False
    for line in source:
        if in_copy:
            target.write(line)
            if line in ("\\.\n", "\\."):
                in_copy = False
            continue
        out = quoted.sub(f'"{new}"', bare.sub(new, line))
        target.write(out)
        if out.startswith("COPY ") and out.rstrip().endswith("FROM stdin;"):
            in_copy = True


def dump_summary(path: Path, schema: str) -> tuple[dict[str, int], dict[str, int]]:
    """From a plain dump: the rows of each table, and each unit's ledger balance (the ledger's COPY rows)."""
    header = re.compile(r'^COPY "?' + re.escape(schema) + r'"?\."?([\w]+)"? \(([^)]*)\) FROM stdin;$')
    tables: dict[str, int] = {}
    balances: dict[str, int] = {}
    table, unit_col, amount_col = None, -1, -1
    with open(path, encoding="utf-8") as dump:
        for line in dump:
            if table is None:
                m = header.match(line.rstrip("\n"))
                if m:
                    table = m.group(1)
                    tables[table] = 0
                    cols = [c.strip().strip('"') for c in m.group(2).split(",")]
                    unit_col = cols.index("unit_id") if table == "billing_ledgerentry" and "unit_id" in cols else -1
                    amount_col = cols.index("amount") if unit_col >= 0 and "amount" in cols else -1
                continue
            if line in ("\\.\n", "\\."):
                table = None
                continue
            tables[table] += 1
            if amount_col >= 0:
                values = line.rstrip("\n").split("\t")
                key = "None" if values[unit_col] == "\\N" else values[unit_col]
                balances[key] = balances.get(key, 0) + int(values[amount_col])
    return tables, balances


# --- export ------------------------------------------------------------------------------------------------------


def _user_payload(user: Any) -> dict[str, Any]:
    return {
        "email": user.email,
        "phone": user.phone,
        "name": user.name,
        "password": user.password,
        "is_active": user.is_active,
    }


def company_export(tenant: Tenant, path: Path | str) -> Archived:
    """Write the company's archive to `path` (a .tar.gz). Reads only; the company keeps running."""
    started = timezone.now()
    if not tenant.is_company:
        raise ApplicationError("Only a company can be exported.")
    path = Path(path)
    from backend.accounts.models import User

    schema = tenant.schema_name
    with tempfile.TemporaryDirectory(prefix="company-export-") as tmp:
        work = Path(tmp)
        # The dump is one snapshot (pg_dump's transaction); the counts and balances are read from it, so they
        # agree with it even while the company keeps writing.
        _pg_dump_schema(schema, work / "schema.sql")
        tables, balances = dump_summary(work / "schema.sql", schema)
        rows: list[dict[str, Any]] = []
        user_ids: set[int] = set()
        for model, fk in public_models():
            if model._meta.label_lower in NOT_CARRIED:
                continue
            objects = list(model._default_manager.filter(**{fk: tenant}))
            for item in serializers.serialize("python", objects):
                item["tenant_field"] = fk
                rows.append(item)
            for f in model._meta.concrete_fields:
                if isinstance(f, models.ForeignKey) and f.related_model is User:
                    user_ids.update(v for v in (getattr(o, f.attname) for o in objects) if v)
        users = {str(u.pk): _user_payload(u) for u in User.objects.filter(pk__in=user_ids)}
        (work / "public.json").write_text(
            json.dumps({"rows": rows, "users": users}, ensure_ascii=False, default=str), encoding="utf-8"
        )
        files_root = Path(settings.MEDIA_ROOT) / schema
        file_count = sum(1 for p in files_root.rglob("*") if p.is_file()) if files_root.is_dir() else 0
        manifest = {
            "format": FORMAT,
            "exported_at": started.isoformat(),
            "company": {
                "name": tenant.name,
                "slug": tenant.slug,
                "schema": schema,
                "status": tenant.status,
                "currency": tenant.currency,
                "time_zone": tenant.time_zone,
                "default_language": tenant.default_language,
                "created_at": tenant.created_at.isoformat(),
            },
            "tables": tables,
            "balances": balances,
            "public_rows": len(rows),
            "files": file_count,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            for name in ("manifest.json", "schema.sql", "public.json"):
                tar.add(work / name, arcname=name)
            if files_root.is_dir():
                tar.add(files_root, arcname="files")
        partial.replace(path)
    seconds = (timezone.now() - started).total_seconds()
    log.info("exported %s to %s in %.1fs (%d tables, %d files)", schema, path, seconds, len(tables), file_count)
    return Archived(
        path=path, tables=tables, balances=balances, public_rows=len(rows), files=file_count, seconds=seconds
    )


# --- restore -----------------------------------------------------------------------------------------------------


def _read_archive(path: Path, into: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ApplicationError.for_fields({"archive": [f"Not a company archive: {exc}"]}) from exc
    try:
        manifest = json.loads((into / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ApplicationError.for_fields({"archive": ["The archive has no readable manifest.json."]}) from exc
    if manifest.get("format") != FORMAT:
        raise ApplicationError.for_fields({"archive": [f"Archive format {manifest.get('format')!r} is not {FORMAT}."]})
    return manifest


def _users_by_old_id(payload: dict[str, dict[str, Any]]) -> dict[int, int]:
    from backend.accounts.models import User

    mapping = {}
    for old_id, data in payload.items():
        user = User.objects.filter(email__iexact=data["email"]).first()
        if user is None:
            phone = data.get("phone") or None
            if phone and User.objects.filter(phone=phone).exists():
                phone = None  # the number belongs to someone else here: the person keeps their e-mail sign-in
            user = User(
                email=data["email"], phone=phone, name=data.get("name", ""), is_active=data.get("is_active", True)
            )
            user.password = data["password"]
            user.save()
        mapping[int(old_id)] = user.pk
    return mapping


def _public_rows_restore(rows: list[dict[str, Any]], tenant: Tenant, users: dict[int, int]) -> tuple[int, list[str]]:
    from backend.accounts.models import User

    made, skipped = 0, []
    for item in rows:
        model = apps.get_model(item["model"])
        fk = item["tenant_field"]
        fields = dict(item["fields"])
        values: dict[str, Any] = {}
        missing = None
        for f in model._meta.concrete_fields:
            if f.primary_key or f.name not in fields:
                continue
            raw = fields[f.name]
            if f.name == fk:
                values[f.attname] = tenant.pk
            elif isinstance(f, models.ForeignKey) and f.related_model is User:
                values[f.attname] = users.get(int(raw)) if raw is not None else None
                if raw is not None and values[f.attname] is None:
                    missing = f"{item['model']} #{item['pk']}: user {raw} not in the archive"
            elif isinstance(f, models.ForeignKey):
                if raw is not None and not f.related_model._default_manager.filter(pk=raw).exists():
                    missing = f"{item['model']} #{item['pk']}: {f.related_model._meta.label} {raw} not on this platform"
                values[f.attname] = raw
            else:
                values[f.attname] = f.to_python(raw)
        if missing:
            skipped.append(missing)
            continue
        with transaction.atomic():
            model._default_manager.create(**values)
        made += 1
    return made, skipped


def company_restore(path: Path | str, *, slug: str, name: str | None = None) -> Restored:
    """A new company `slug` from the archive at `path`. Raises ApplicationError (and leaves nothing) when the
    subdomain is taken or invalid, the archive is not one, or what was loaded does not match its manifest."""
    from tenants.services import company_domain, schema_name_for, subdomain_errors

    started = timezone.now()
    slug, errors = subdomain_errors(slug)
    if errors:
        raise ApplicationError.for_fields({"slug": errors})
    new = schema_name_for(slug)
    with tempfile.TemporaryDirectory(prefix="company-restore-") as tmp:
        work = Path(tmp)
        manifest = _read_archive(Path(path), work)
        company = manifest["company"]
        old = company["schema"]
        with (
            open(work / "schema.sql", encoding="utf-8") as source,
            open(work / "schema.new.sql", "w", encoding="utf-8") as target,
        ):
            schema_sql_rename(source, target, old=old, new=new)
        public = json.loads((work / "public.json").read_text(encoding="utf-8"))
        files_src = work / "files"
        files_dst = Path(settings.MEDIA_ROOT) / new
        if files_dst.exists():
            raise ApplicationError.for_fields({"slug": [f"Files for {new!r} already exist here."]})
        _psql_file(work / "schema.new.sql")
        # An archive made before company migration 0003 brings foreign keys to public tables: none stays.
        public_foreign_keys_drop(connection, new)
        try:
            with transaction.atomic():
                tenant = Tenant(
                    name=name or company["name"],
                    slug=slug,
                    schema_name=new,
                    status=Tenant.Status.ACTIVE,
                    currency=company.get("currency", "CNY"),
                    time_zone=company.get("time_zone", "Asia/Shanghai"),
                    default_language=company.get("default_language", "zh-hans"),
                )
                tenant.save()
                Domain.objects.create(domain=company_domain(slug), tenant=tenant, is_primary=True)
                users = _users_by_old_id(public["users"])
                made, skipped = _public_rows_restore(public["rows"], tenant, users)
                _file_columns_repoint(old=old, new=new)
                tables = schema_tables(new)
                if tables != manifest["tables"]:
                    differ = {
                        k: (manifest["tables"].get(k), tables.get(k))
                        for k in set(tables) | set(manifest["tables"])
                        if manifest["tables"].get(k) != tables.get(k)
                    }
                    raise ApplicationError(
                        f"The restored rows differ from the archive's: {sorted(differ.items())[:10]}"
                    )
                if ledger_balances(new) != manifest["balances"]:
                    raise ApplicationError("The restored ledger balances differ from the archive's.")
                file_count = 0
                if files_src.is_dir():
                    shutil.copytree(files_src, files_dst)
                    file_count = sum(1 for p in files_dst.rglob("*") if p.is_file())
                with schema_context(new):
                    from backend.audit.services import audit_record

                    audit_record(
                        action="company.restore",
                        target=tenant,
                        changes={
                            "from": company["slug"],
                            "exported_at": manifest["exported_at"],
                            "skipped": len(skipped),
                        },
                    )
        except BaseException:
            _drop_schema(new)
            shutil.rmtree(files_dst, ignore_errors=True)
            raise
    seconds = (timezone.now() - started).total_seconds()
    for line in skipped:
        log.warning("restore %s: skipped %s", new, line)
    log.info("restored %s from %s in %.1fs", new, old, seconds)
    return Restored(tenant=tenant, tables=tables, public_rows=made, skipped=skipped, files=file_count, seconds=seconds)


def _file_columns_repoint(*, old: str, new: str) -> None:
    """Stored file names start with the schema (tenants/storage.py): point the restored rows at the new one."""
    for model, column in tenant_file_fields():
        table = f'"{new}"."{model._meta.db_table}"'
        sql = f'UPDATE {table} SET "{column}" = %s || substr("{column}", %s) WHERE "{column}" LIKE %s'  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [f"{new}/", len(old) + 2, f"{old}/%"])


def _drop_schema(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
