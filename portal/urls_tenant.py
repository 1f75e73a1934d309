"""The portal on a company's domain: every audience's and area's URLs, all in the `portal:` namespace. Each
package lists its own (its urls.py); this root only puts them together, flat, so that the access walk
(tests/portal/test_access_walk.py) sees every page."""

from .member import urls as member
from .public import urls as public
from .resident import urls as resident
from .resident.classes import urls as resident_classes
from .resident.club import urls as resident_club
from .resident.complaints import urls as resident_complaints
from .resident.desk import urls as resident_desk
from .resident.gate import urls as resident_gate
from .resident.renovation import urls as resident_renovation
from .resident.shop import urls as resident_shop
from .staff.audit import urls as staff_audit
from .staff.billing import urls as staff_billing
from .staff.club import urls as staff_club
from .staff.club_classes import urls as staff_club_classes
from .staff.club_reports import urls as staff_club_reports
from .staff.complaints import urls as staff_complaints
from .staff.dashboard import urls as staff_dashboard
from .staff.desk import urls as staff_desk
from .staff.dunning import urls as staff_dunning
from .staff.gate import urls as staff_gate
from .staff.marketplace import urls as staff_marketplace
from .staff.members import urls as staff_members
from .staff.meters import urls as staff_meters
from .staff.notifications import urls as staff_notifications
from .staff.payments import urls as staff_payments
from .staff.privacy import urls as staff_privacy
from .staff.registry import urls as staff_registry
from .staff.renovation import urls as staff_renovation

app_name = "portal"

urlpatterns = [
    *public.urlpatterns,
    *member.urlpatterns,
    *staff_dashboard.urlpatterns,
    *staff_members.urlpatterns,
    *staff_audit.urlpatterns,
    *staff_registry.urlpatterns,
    *staff_notifications.urlpatterns,
    *staff_billing.urlpatterns,
    *staff_meters.urlpatterns,
    *staff_dunning.urlpatterns,
    *staff_payments.urlpatterns,
    *staff_club_reports.urlpatterns,
    *staff_club.urlpatterns,
    *staff_marketplace.urlpatterns,
    *resident.urlpatterns,
    *resident_club.urlpatterns,
    *resident_desk.urlpatterns,
    *staff_desk.urlpatterns,
    *staff_gate.urlpatterns,
    *resident_gate.urlpatterns,
    *resident_renovation.urlpatterns,
    *staff_renovation.urlpatterns,
    *staff_club_classes.urlpatterns,
    *resident_classes.urlpatterns,
    *resident_shop.urlpatterns,
    *staff_privacy.urlpatterns,
    *staff_complaints.urlpatterns,
    *resident_complaints.urlpatterns,
]
