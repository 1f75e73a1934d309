"""The merchant portal, under /merchant/ on the platform domain (the `merchant:` namespace): a merchant signs
up, signs in, keeps its profile, licence and clerks, applies to companies and keeps its catalogue. Its pages
declare a merchant permission (marketplace/merchant_permissions.py) with `merchant_required` (access.py);
views are thin, the marketplace services decide and write. Phone-first templates in
templates/portal/merchant/."""
