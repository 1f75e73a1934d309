"""Staff pages, one package per area: dashboard, members (invitations, roles and scope), audit (audit log,
undelivered messages), registry (房产档案), notifications (publishing announcements, holidays), billing
(fees, bill runs, statements, money at a unit, waivers, settings, reports, notices), meters (meters and
readings, 抄表), dunning (arrears, 欠费催缴) and payments (the counter, receipts, day close, payments,
follow-up, report, settings)."""
