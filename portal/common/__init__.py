"""What the portal's areas share: the forms base, the payment form, the caller's data scope, links between
areas and the statement a unit's staff and residents both see. Nothing here renders a page, and no area
imports another area's views: what two areas need lives here."""
