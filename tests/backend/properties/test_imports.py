""".xlsx import/export: every row checked with its row and column reported, all-or-nothing, idempotent;
large files in a real Celery worker with live progress over the websocket."""

from __future__ import annotations

import io
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import Workbook, load_workbook

from backend.properties.models import Building, ImportJob, Occupancy, Person, Unit
from backend.properties.sheets import RESIDENT_COLUMNS, UNIT_COLUMNS

from .conftest import ID_A, ID_B


def xlsx(columns, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([h for _k, h in columns])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def accepted_xlsx(data: bytes):
    """What the import form's upload field hands the service."""
    from backend.uploads.kinds import REGISTRY_IMPORT
    from backend.uploads.validation import upload_accept

    return upload_accept(kind=REGISTRY_IMPORT, upload=SimpleUploadedFile("file.xlsx", data))


def upload(client, kind, data: bytes):
    return client.post(
        "/staff/imports/",
        {
            "kind": kind,
            "file": SimpleUploadedFile(
                "file.xlsx", data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        },
        follow=True,
    )


def last_job(tenant) -> ImportJob:
    connection.set_tenant(tenant)
    return ImportJob.objects.order_by("-id").first()


UNITS_OK = [
    ["阳光花园", "1栋", "101", 1, 89.5, "住宅", "已交房"],  # exists: area and status change
    ["阳光花园", "2栋", "201", 2, "100", "商铺", "空置"],  # new building, new unit
    ["阳光花园", "2栋", "202", 2, "100.25", "写字楼", ""],
]


@pytest.fixture
def staff(tenant_a, member, client_for, registry):
    return client_for(tenant_a, member(tenant_a, ["customer_service"]))


def test_templates_have_the_headers(staff):
    for kind, columns in (("units", UNIT_COLUMNS), ("residents", RESIDENT_COLUMNS)):
        response = staff.get(f"/staff/imports/template/{kind}.xlsx")
        assert response.status_code == 200
        header = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert list(header) == [h for _k, h in columns]


def test_units_import_creates_updates_and_a_second_run_changes_nothing(tenant_a, staff, registry):
    page = upload(staff, "units", xlsx(UNIT_COLUMNS, UNITS_OK))
    assert page.status_code == 200
    job = last_job(tenant_a)
    assert (job.status, job.created_count, job.updated_count, job.unchanged_count) == ("done", 2, 1, 0)
    assert Building.objects.filter(estate=registry.estate, name="2栋").exists()
    unit = Unit.objects.get(building__name="2栋", number="202")
    assert (str(unit.area), unit.unit_type, unit.status, unit.label) == (
        "100.25",
        "office",
        "vacant",
        "阳光花园 2栋 202",
    )
    assert Unit.objects.get(building=registry.building, number="101").status == "handed_over"

    upload(staff, "units", xlsx(UNIT_COLUMNS, UNITS_OK))
    job = last_job(tenant_a)
    assert (job.status, job.created_count, job.updated_count, job.unchanged_count) == ("done", 0, 0, 3)


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_imported(tenant_a, staff, registry):
    rows = [
        *UNITS_OK,
        ["无此小区", "1栋", "301", 3, "80", "住宅", "空置"],  # row 5
        ["阳光花园", "1栋", "", 3, "80", "住宅", "空置"],  # row 6
        ["阳光花园", "1栋", "302", "三", "-1", "别墅", "拆迁"],  # row 7
        ["阳光花园", "2栋", "201", 2, "100", "商铺", "空置"],  # row 8: twice in the file
    ]
    connection.set_tenant(tenant_a)
    before = Unit.objects.count()
    page = upload(staff, "units", xlsx(UNIT_COLUMNS, rows))
    job = last_job(tenant_a)
    assert job.status == "failed"
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {(5, "小区"), (6, "房号"), (7, "楼层"), (7, "建筑面积(m²)"), (7, "类型"), (7, "状态"), (8, "房号")}
    assert Unit.objects.count() == before  # the three good rows were not imported either
    assert not Building.objects.filter(name="2栋").exists()
    html = page.content.decode()
    assert "data-import-errors" in html and "无此小区" not in html  # the table names row and column, not data


def test_a_file_without_the_template_headers_is_refused(tenant_a, staff):
    wb = Workbook()
    wb.active.append(["house", "number"])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = staff.post("/staff/imports/", {"kind": "units", "file": SimpleUploadedFile("x.xlsx", buffer.getvalue())})
    assert response.status_code == 400
    assert 'data-error-for="file"' in response.content.decode()


def test_a_file_that_is_not_excel_is_refused(tenant_a, staff):
    response = staff.post("/staff/imports/", {"kind": "units", "file": SimpleUploadedFile("x.xlsx", b"not a zip")})
    assert response.status_code == 400


def test_residents_import_and_reimport(tenant_a, staff, registry):
    rows = [
        ["阳光花园", "1栋", "101", "王芳", "13911112222", ID_A, "1990-03-07", "业主", "2024-05-01"],
        ["阳光花园", "1栋", "101", "王小芳", "", "", "", "住户", "2024-05-01"],
        ["阳光花园", "1栋", "102", "李强", "13933334444", ID_B, "", "租户", ""],
    ]
    upload(staff, "residents", xlsx(RESIDENT_COLUMNS, rows))
    job = last_job(tenant_a)
    assert (job.status, job.created_count, job.errors) == ("done", 3, [])
    wang = Person.objects.get(id_number=ID_A)
    assert (wang.name, wang.phone, str(wang.birthday)) == ("王芳", "13911112222", "1990-03-07")
    assert wang.office_ids == [registry.office.pk]
    unit = Unit.objects.get(building=registry.building, number="101")
    assert sorted(Occupancy.objects.filter(unit=unit).values_list("role", flat=True)) == ["member", "owner"]
    assert unit.status == "occupied"

    upload(staff, "residents", xlsx(RESIDENT_COLUMNS, rows))
    job = last_job(tenant_a)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 3)
    assert Person.objects.filter(name__in=["王芳", "王小芳", "李强"]).count() == 3


def test_resident_rows_are_checked(tenant_a, staff, registry):
    rows = [
        ["阳光花园", "1栋", "999", "甲", "", "", "", "业主", ""],
        ["阳光花园", "1栋", "101", "", "12345", "110101199003074259", "1990/13/45", "房东", "昨天"],
    ]
    upload(staff, "residents", xlsx(RESIDENT_COLUMNS, rows))
    job = last_job(tenant_a)
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (2, "房号"),
        (3, "姓名"),
        (3, "手机号"),
        (3, "身份证号"),
        (3, "生日"),
        (3, "身份"),
        (3, "入住日期"),
    }
    assert not Person.objects.filter(name="甲").exists()


def test_export_then_import_changes_nothing(tenant_a, staff, registry):
    exported = staff.get(f"/staff/units/export.xlsx?building={registry.building.pk}").content
    rows = list(load_workbook(io.BytesIO(exported)).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4 and rows[0][:3] == ("阳光花园", "1栋", "101")
    upload(staff, "units", exported)
    job = last_job(tenant_a)
    assert (job.status, job.created_count, job.updated_count, job.unchanged_count) == ("done", 0, 0, 4)


def test_export_follows_the_filters(tenant_a, staff, registry):
    exported = staff.get(f"/staff/units/export.xlsx?estate={registry.other_estate.pk}&floor=2").content
    rows = list(load_workbook(io.BytesIO(exported)).active.iter_rows(min_row=2, values_only=True))
    assert {(r[0], r[3]) for r in rows} == {("江景苑", 2)}


@pytest.mark.worker
def test_a_large_import_runs_in_the_worker_with_live_progress(worker, django_db_blocker):
    """2,500 rows (above the in-request limit): queued, run by the real worker in company alpha's schema,
    progress pushed to the importer's socket, all rows in."""
    from backend.accounts.models import Membership, User
    from backend.asgi import application
    from backend.properties import services
    from backend.properties.imports import import_job_create
    from backend.properties.scope import Scope
    from backend.properties.tasks import import_job_execute
    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        user = User.objects.create_user(email=f"import-{tag}@example.test", password="x", name="导入员")
        membership = Membership.objects.create(user=user, tenant=tenant, roles=["customer_service"])
        connection.set_tenant(tenant)
        scope = Scope.everything()
        office = services.office_create(name=f"导入管理处{tag}", scope=scope)
        estate = services.estate_create(office_id=office.pk, name=f"导入小区{tag}", scope=scope)
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "backend.accounts.backends.EmailOrPhoneBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        rows = [[estate.name, f"{n // 100}栋", f"{n:04d}", 1 + n % 30, "88.8", "住宅", "空置"] for n in range(2500)]
        job = import_job_create(kind="units", upload=accepted_xlsx(xlsx(UNIT_COLUMNS, rows)), user_id=user.pk)
        connection.set_schema_to_public()
    try:
        from channels.testing.websocket import WebsocketCommunicator

        async def scenario():
            ws = WebsocketCommunicator(
                application,
                "/ws/notifications/",
                headers=[
                    (b"host", b"alpha.localhost"),
                    (b"origin", b"http://alpha.localhost"),
                    (b"cookie", f"sessionid={session.session_key}".encode()),
                ],
            )
            connected, _ = await ws.connect()
            assert connected
            assert (await ws.receive_json_from())["type"] == "hello"
            from asgiref.sync import sync_to_async

            def enqueue():
                # enqueued while company alpha is active: tenant-schemas-celery carries the schema
                connection.set_tenant(tenant)
                import_job_execute.apply_async((job.pk, membership.pk), queue=worker)
                connection.set_schema_to_public()

            await sync_to_async(enqueue)()
            seen = []
            while True:
                message = await ws.receive_json_from(timeout=90)
                if message.get("type") == "import.progress":
                    seen.append(message)
                    if message["status"] in ("done", "failed"):
                        break
            await ws.disconnect()
            return seen

        with django_db_blocker.unblock():
            progress = async_to_sync(scenario)()
        assert progress[-1]["status"] == "done" and progress[-1]["created"] == 2500
        assert any(0 < m["processed"] < 2500 for m in progress), progress  # a live bar, not just the end
        with django_db_blocker.unblock():
            connection.set_tenant(tenant)
            assert Unit.objects.filter(estate=estate).count() == 2500
            assert ImportJob.objects.get(pk=job.pk).status == "done"
    finally:
        with django_db_blocker.unblock():
            connection.set_tenant(tenant)
            Unit.objects.filter(estate=estate).delete()
            Building.objects.filter(estate=estate).delete()
            estate.delete()
            office.delete()
            job.file.delete(save=False)
            ImportJob.objects.filter(pk=job.pk).delete()
            session.delete()
            connection.set_schema_to_public()
            membership.delete()
            user.delete()


def test_an_import_that_crashes_in_the_worker_is_marked_failed_not_left_running(
    tenant_a, member, registry, monkeypatch
):
    from backend.accounts.models import Membership
    from backend.properties.imports import import_job_create
    from backend.properties.tasks import import_job_execute

    user = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    job = import_job_create(kind="units", upload=accepted_xlsx(xlsx(UNIT_COLUMNS, UNITS_OK)), user_id=user.pk)

    def crash(**kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr("backend.properties.tasks.import_job_run", crash)
    membership = Membership.objects.get(user=user, tenant=tenant_a)
    with pytest.raises(MemoryError):
        import_job_execute.apply((job.pk, membership.pk), throw=True)
    job.refresh_from_db()
    assert job.status == "failed" and "internal error" in job.errors[0]["message"]
    job.file.delete(save=False)


def _start(rows, user) -> ImportJob:
    from backend.properties import imports
    from backend.properties.scope import Scope

    return imports.import_job_start(
        kind="units",
        upload=accepted_xlsx(xlsx(UNIT_COLUMNS, rows)),
        membership_id=1,
        user_id=user.pk,
        scope=Scope.everything(),
    )


def test_a_large_upload_is_queued_for_the_worker_once_the_job_is_committed(
    tenant_a, member, registry, django_capture_on_commit_callbacks
):
    """Above BACKGROUND_ROWS the request only creates the job; the worker task (run above) is enqueued on commit."""
    from backend.celery import app
    from backend.properties import imports

    user = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    rows = [
        [registry.estate.name, "9栋", f"{n:04d}", 1, "88.8", "住宅", "空置"] for n in range(imports.BACKGROUND_ROWS + 1)
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = _start(rows, user)
    assert job.status == ImportJob.Status.QUEUED and job.total_rows == imports.BACKGROUND_ROWS + 1
    assert not Unit.objects.filter(building__name="9栋").exists()  # nothing imported in the request
    assert len(callbacks) == 1
    assert imports.IMPORT_JOB_EXECUTE in app.tasks  # the name resolves in a web process (apps.ready)
    job.file.delete(save=False)


def test_a_small_upload_runs_in_the_request(tenant_a, member, registry):

    user = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    rows = [[registry.estate.name, "8栋", "0101", 1, "88.8", "住宅", "空置"]]
    job = _start(rows, user)
    assert job.status == ImportJob.Status.DONE and job.created_count == 1
    assert Unit.objects.filter(building__name="8栋", number="0101").exists()
    job.file.delete(save=False)
